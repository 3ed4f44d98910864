"""Signed-in test clients: a user with the roles a test needs and a fully signed-in session
(second factor done, re-authenticated now), made directly in the database.

    principal = sign_in(client, runtime, roles=("records-custodian", "administrator"))
    client.get("/recordings")  # as that user

``sign_in`` sets the session cookie, the ``X-CSRF-Token`` and ``Origin`` headers and a
default ``Sunlight-Reason`` on the TestClient. ``STAFF`` is the broad role set the older
suites use so they keep testing what they tested; ``sign_in_outside`` is an outside
investigator of the Missouri Highway Patrol (custody returns). ``bearer`` makes an API
token. ``browser_sign_in`` does the same for a Playwright browser context.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from sunlight.access import sessions, tokens, users
from sunlight.access.models import Agency, AuthSession
from sunlight.access.principal import Principal
from sunlight.db.base import utcnow
from sunlight.runtime import Runtime
from sunlight.web.security import COOKIE

#: Broad department roles: what the suites written before access control act as.
STAFF = ("records-custodian", "administrator")
TEST_PASSWORD = "correct horse battery staple 42"
ORIGIN = "http://testserver"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    raw_token: str
    csrf_token: str
    user_id: int
    session_id: int


def agency_id_for(runtime: Runtime, kind: str = "department") -> int:
    """The seeded agency of ``kind`` (for ``investigator``, the default one: MSHP)."""
    with runtime.db.session(read_only=True) as session:
        query = select(Agency.id).where(Agency.kind == kind)
        query = query.order_by(Agency.is_default.desc(), Agency.id)
        agency_id = session.scalars(query).first()
    if agency_id is None:
        raise LookupError(f"no agency of kind {kind!r}")
    return agency_id


def make_session(
    runtime: Runtime,
    *,
    roles: Iterable[str] = STAFF,
    agency_kind: str = "department",
    agency_id: int | None = None,
    officer_id: int | None = None,
    unit: str | None = None,
    username: str | None = None,
    password: str | None = TEST_PASSWORD,
    now: datetime | None = None,
) -> SignedIn:
    """A user with ``roles`` and a signed-in session (MFA done, re-authenticated at ``now``)."""
    now = now or utcnow()
    role_list: Sequence[str] = tuple(roles)
    agency = agency_id if agency_id is not None else agency_id_for(runtime, agency_kind)
    name = username or f"t{next(_numbers)}-{secrets.token_hex(3)}"
    raw = secrets.token_urlsafe(32)
    with runtime.db.session() as session:
        user = users.create_user(
            session,
            username=name,
            display_name=f"Test {' '.join(role_list) or 'user'} {name}",
            agency_id=agency,
            roles=role_list,
            password=password,
            unit=unit,
            officer_id=officer_id,
            actor=Principal.cli(operator="tests"),
            now=now,
        )
        auth_session = AuthSession(
            token_sha256=sessions.digest(raw),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            mfa_at=now,
            mfa_method="totp",
            reauth_at=now,
            pending={},
        )
        session.add(auth_session)
        session.flush()
        principal = sessions.principal_for(user, auth_session)
        return SignedIn(principal, raw, auth_session.csrf_token, user.id, auth_session.id)


def use_session(client: Any, signed: SignedIn, *, reason: str | None = "other: test") -> None:
    """Put a session on a TestClient (httpx): cookie, CSRF and Origin headers, a reason."""
    client.cookies.set(COOKIE, signed.raw_token)
    client.headers["X-CSRF-Token"] = signed.csrf_token
    client.headers["Origin"] = ORIGIN
    if reason is not None:
        client.headers["Sunlight-Reason"] = reason
    else:
        client.headers.pop("Sunlight-Reason", None)


def sign_in(
    client: Any,
    runtime: Runtime,
    roles: Iterable[str] = STAFF,
    *,
    agency_kind: str = "department",
    officer_id: int | None = None,
    unit: str | None = None,
    reason: str | None = "other: test",
    now: datetime | None = None,
) -> Principal:
    """Make a user with ``roles`` and sign ``client`` in as them; returns the principal."""
    signed = make_session(
        runtime, roles=roles, agency_kind=agency_kind, officer_id=officer_id, unit=unit, now=now
    )
    use_session(client, signed, reason=reason)
    return signed.principal


def sign_in_outside(client: Any, runtime: Runtime, **kwargs: Any) -> Principal:
    """An outside investigator of the default investigating agency (MSHP)."""
    return sign_in(
        client, runtime, roles=("outside-investigator",), agency_kind="investigator", **kwargs
    )


def sign_out(client: Any) -> None:
    client.cookies.clear()
    for header in ("X-CSRF-Token", "Sunlight-Reason", "Authorization"):
        client.headers.pop(header, None)


def bearer(
    runtime: Runtime,
    permissions: Iterable[str] | None = None,
    *,
    name: str = "test dock",
    expires_days: int | None = 30,
    agency_kind: str | None = "department",
    now: datetime | None = None,
) -> tuple[int, str]:
    """An API token: returns its id and the raw value for ``Authorization: Bearer``."""
    agency = agency_id_for(runtime, agency_kind) if agency_kind else None
    with runtime.db.session() as session:
        token, raw = tokens.create_token(
            session,
            name=name,
            permissions=list(permissions) if permissions is not None else None,
            expires_days=expires_days,
            actor=Principal.cli(operator="tests"),
            agency_id=agency,
            now=now,
        )
        return token.id, raw


def browser_sign_in(
    context: Any, base_url: str, runtime: Runtime, roles: Iterable[str] = STAFF, **kwargs: Any
) -> Principal:
    """Sign a Playwright browser context in (the session cookie for ``base_url``)."""
    signed = make_session(runtime, roles=roles, **kwargs)
    context.add_cookies(
        [
            {
                "name": COOKIE,
                "value": signed.raw_token,
                "url": base_url,
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    return signed.principal
