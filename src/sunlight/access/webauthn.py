"""Passkeys (WebAuthn): the phishing-resistant second factor.

Registration and authentication are two-step ceremonies: the server makes options with a
random challenge, which is kept in the session row (``AuthSession.pending``) until the
browser answers, then verifies the answer against it, the relying-party id (the configured
host name) and the page's origin. The challenge is used once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from sunlight.access.audit import Actor, AuthAction, record
from sunlight.access.models import AuthSession, User, WebAuthnCredential

RP_NAME = "Sunlight"
PENDING_KEY = "webauthn"
MAX_CREDENTIAL_JSON = 64 * 1024


def credentials_of(session: Session, user: User) -> list[WebAuthnCredential]:
    return list(
        session.scalars(
            select(WebAuthnCredential)
            .where(WebAuthnCredential.user_id == user.id)
            .order_by(WebAuthnCredential.id)
        )
    )


def _remember(auth_session: AuthSession, purpose: str, challenge: bytes) -> None:
    pending = dict(auth_session.pending or {})
    pending[PENDING_KEY] = {"purpose": purpose, "challenge": bytes_to_base64url(challenge)}
    auth_session.pending = pending  # a new dict: the JSON column sees the change


def _take(auth_session: AuthSession, purpose: str) -> bytes | None:
    pending = dict(auth_session.pending or {})
    entry = pending.pop(PENDING_KEY, None)
    auth_session.pending = pending
    if not isinstance(entry, dict) or entry.get("purpose") != purpose:
        return None
    return base64url_to_bytes(str(entry["challenge"]))


def registration_options(
    session: Session, auth_session: AuthSession, user: User, *, rp_id: str
) -> str:
    """Options for ``navigator.credentials.create`` (JSON), the challenge remembered."""
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_name=user.username,
        user_id=f"sunlight-user-{user.id}".encode(),
        user_display_name=user.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=c.credential_id) for c in credentials_of(session, user)
        ],
    )
    _remember(auth_session, "register", options.challenge)
    return options_to_json(options)


def finish_registration(
    session: Session,
    auth_session: AuthSession,
    user: User,
    credential: str | dict[str, Any],
    *,
    rp_id: str,
    origin: str,
    name: str,
    actor: Actor,
    now: datetime,
) -> WebAuthnCredential | None:
    """Verify the browser's answer and keep the passkey; None if it does not verify."""
    challenge = _take(auth_session, "register")
    if challenge is None or len(json.dumps(credential)) > MAX_CREDENTIAL_JSON:
        return None
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        return None
    key = WebAuthnCredential(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=(" ".join(name.split()) or "Passkey")[:100],
        created_at=now,
    )
    session.add(key)
    session.flush()
    record(
        session,
        actor=actor,
        action=AuthAction.MFA_ENROL,
        object_id=user.id,
        details={"factor": "passkey", "passkey_id": key.id, "name": key.name},
        at=now,
    )
    return key


def authentication_options(
    session: Session, auth_session: AuthSession, user: User, *, rp_id: str
) -> str:
    """Options for ``navigator.credentials.get`` for this user's passkeys (JSON)."""
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=c.credential_id) for c in credentials_of(session, user)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _remember(auth_session, "authenticate", options.challenge)
    return options_to_json(options)


def finish_authentication(
    session: Session,
    auth_session: AuthSession,
    user: User,
    credential: dict[str, Any],
    *,
    rp_id: str,
    origin: str,
    now: datetime,
) -> bool:
    challenge = _take(auth_session, "authenticate")
    if challenge is None or len(json.dumps(credential)) > MAX_CREDENTIAL_JSON:
        return False
    try:
        raw_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id") or ""))
    except ValueError:
        return False
    key = session.scalars(
        select(WebAuthnCredential).where(
            WebAuthnCredential.user_id == user.id, WebAuthnCredential.credential_id == raw_id
        )
    ).first()
    if key is None:
        return False
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        return False
    key.sign_count = verified.new_sign_count
    key.last_used_at = now
    return True
