"""Authenticator-app codes (RFC 6238 TOTP) and recovery codes.

Enrolment shows a QR code (SVG, drawn on the server) and is confirmed with a first code.
Codes are accepted one step either side of now and are single-use: ``last_step`` remembers
the newest step used, and no step at or before it is accepted again. Ten recovery codes are
shown once, stored as SHA-256 digests, and each works once.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sunlight.access.audit import Actor, AuthAction, record
from sunlight.access.models import RecoveryCode, TotpCredential, User

ISSUER = "Sunlight"
STEP_SECONDS = 30
WINDOW = 1  # steps either side of now
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def provisioning_uri(secret: str, user: User) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG (no script, no external image)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def begin_enrolment(session: Session, user: User, *, now: datetime) -> TotpCredential:
    """A new, unconfirmed secret (replacing any earlier unconfirmed one)."""
    session.execute(
        delete(TotpCredential).where(
            TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_(None)
        )
    )
    credential = TotpCredential(user_id=user.id, secret=pyotp.random_base32(), created_at=now)
    session.add(credential)
    session.flush()
    return credential


def pending_credential(session: Session, user: User) -> TotpCredential | None:
    return session.scalars(
        select(TotpCredential)
        .where(TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_(None))
        .order_by(TotpCredential.id.desc())
    ).first()


def _matching_step(credential: TotpCredential, code: str, now: datetime) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(credential.secret)
    current = _step(now)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # compare every candidate (constant work), keep the newest unused match
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and step > credential.last_step:
            found = step
    return found


def confirm_enrolment(
    session: Session, user: User, code: str, *, actor: Actor, now: datetime
) -> list[str] | None:
    """Confirm the pending secret with a first code. Returns the new recovery codes (shown
    once) or None if the code is wrong. An earlier confirmed secret is replaced."""
    credential = pending_credential(session, user)
    if credential is None:
        return None
    step = _matching_step(credential, code, now)
    if step is None:
        return None
    session.execute(
        delete(TotpCredential).where(
            TotpCredential.user_id == user.id,
            TotpCredential.confirmed_at.is_not(None),
            TotpCredential.id != credential.id,
        )
    )
    credential.confirmed_at = now
    credential.last_step = step
    codes = new_recovery_codes(session, user, actor=actor, now=now, audit=False)
    record(
        session,
        actor=actor,
        action=AuthAction.MFA_ENROL,
        object_id=user.id,
        details={"factor": "totp", "recovery_codes": len(codes)},
        at=now,
    )
    return codes


def verify(session: Session, user: User, code: str, *, now: datetime) -> bool:
    """Check a code from the user's confirmed authenticator; a code works once."""
    for credential in session.scalars(
        select(TotpCredential).where(
            TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None)
        )
    ):
        step = _matching_step(credential, code, now)
        if step is not None:
            credential.last_step = step
            return True
    return False


def _code_digest(code: str) -> str:
    normal = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


def new_recovery_codes(
    session: Session, user: User, *, actor: Actor, now: datetime, audit: bool = True
) -> list[str]:
    """Ten fresh recovery codes (the old ones stop working). Shown once; stored hashed."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODES)
    ]
    session.add_all(RecoveryCode(user_id=user.id, code_sha256=_code_digest(c)) for c in codes)
    session.flush()
    if audit:
        record(
            session,
            actor=actor,
            action=AuthAction.RECOVERY_CODES,
            object_id=user.id,
            details={"recovery_codes": len(codes)},
            at=now,
        )
    return codes


def use_recovery_code(session: Session, user: User, code: str, *, now: datetime) -> bool:
    if not code or len(code) > 40:
        return False
    row = session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_sha256 == _code_digest(code),
            RecoveryCode.used_at.is_(None),
        )
    ).first()
    if row is None:
        return False
    row.used_at = now
    return True


def is_enrolled(session: Session, user: User) -> bool:
    return (
        session.scalar(
            select(TotpCredential.id).where(
                TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None)
            )
        )
        is not None
    )


def recovery_codes_left(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
