"""A person signs in: password and an authenticator code; password and a passkey, through
Chromium's virtual authenticator (CDP WebAuthn domain); a staff account without a second
factor enrols a passkey first."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from sunlight.access import totp, users
from sunlight.access.models import User
from sunlight.access.principal import Principal
from sunlight.db.base import utcnow
from sunlight.runtime import Runtime
from tests.support.auth import TEST_PASSWORD, agency_id_for

pytestmark = pytest.mark.browser
ADMIN = Principal.cli(operator="tests")


def make_user(runtime: Runtime, name: str, *, with_totp: bool = False) -> str | None:
    with runtime.db.session() as session:
        user = users.create_user(
            session,
            username=name,
            display_name=f"Sergeant {name.title()}",
            agency_id=agency_id_for(runtime),
            roles=["supervisor"],
            password=TEST_PASSWORD,
            unit="Central Patrol",
            actor=ADMIN,
        )
        if not with_totp:
            return None
        credential = totp.begin_enrolment(session, user, now=utcnow())
        secret = credential.secret
        # confirm with a code two steps back, so the current ones are still unused
        earlier = utcnow() - timedelta(seconds=60)
        assert totp.confirm_enrolment(
            session, user, pyotp.TOTP(secret).at(earlier), actor=ADMIN, now=earlier
        )
        return secret


def password_step(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/recordings")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Continue").click()


def localhost(url: str) -> str:
    """WebAuthn needs a domain as relying-party id, not an IP address."""
    return f"http://localhost:{urlsplit(url).port}"


def virtual_authenticator(context: BrowserContext, page: Page) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_sign_in_with_an_authenticator_code(
    page: Page, embedded_runtime: Runtime, live_url: str
) -> None:
    secret = make_user(embedded_runtime, "okafor", with_totp=True)
    assert secret
    password_step(page, live_url, "okafor")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Recordings")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("Sergeant Okafor")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_url}/recordings")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_enrol_a_passkey_then_sign_in_with_it(
    page: Page, context: BrowserContext, embedded_runtime: Runtime, live_url: str
) -> None:
    make_user(embedded_runtime, "reyes")
    base = localhost(live_url)
    virtual_authenticator(context, page)
    # a staff account without a second factor is sent to enrolment, and gets nothing else
    password_step(page, base, "reyes")
    expect(page.get_by_role("heading", name="Set up a second factor")).to_be_visible()
    assert page.request.get(f"{base}/api/recordings").status == 401
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", name="Recordings")).to_be_visible()
    with embedded_runtime.db.session(read_only=True) as session:
        user = users.find_user(session, "reyes")
        assert isinstance(user, User)
        assert users.has_second_factor(session, user)

    page.get_by_role("button", name="Sign out").click()
    password_step(page, base, "reyes")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="Recordings")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("Sergeant Reyes")
