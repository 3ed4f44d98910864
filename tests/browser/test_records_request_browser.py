"""A records request end to end in the browser: a member of the public asks (no account),
the custodian matches the footage, the Missouri Highway Patrol (the release authority for
the shooting it investigates) releases a reviewed redacted copy, the custodian sends the
released copy to the requester, who downloads exactly those bytes; the public proof of the
release is served."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from sunlight.evidence.models import Recording
from sunlight.incidents import service as incidents
from sunlight.ledger import checkpoints, log_identity
from sunlight.ledger.bundle import check_bundle
from sunlight.release import service as release
from sunlight.requests import service as requests
from sunlight.runtime import Runtime
from tests.release.support import make_inactive, scenario
from tests.support.auth import browser_sign_in

pytestmark = pytest.mark.browser


def _as(context: BrowserContext, url: str, runtime: Runtime, *roles: str, **kw: object) -> None:
    context.clear_cookies()
    browser_sign_in(context, url, runtime, roles=roles, **kw)


def test_public_request_answered_with_a_released_copy(
    page: Page, context: BrowserContext, embedded_runtime: Runtime, live_url: str, tmp_path: Path
) -> None:
    runtime = embedded_runtime
    # Setup (services): the shooting, its original and a redacted copy (plan v2, rendered);
    # the investigation is no longer active.
    s = scenario(runtime, cad="KC26-005150", assign=False)
    make_inactive(runtime, s.incident_id)
    with runtime.db.session(read_only=True) as session:
        derived = session.get(Recording, s.derived_id)
        assert derived is not None
        released_sha256 = derived.sha256

    # 1. A member of the public asks, with no account.
    page.goto(f"{live_url}/public/requests/new")
    page.get_by_label("Your name").fill("Jordan Example")
    page.get_by_label("Email (we send updates here)").fill("jordan@example.org")
    page.get_by_label("What records do you want?").fill(
        "Body camera video of the police shooting on 8 May 2026 near Prospect Ave."
    )
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", name="Request received")).to_be_visible()
    tracking = page.locator("#tracking-number").inner_text()
    private_link = page.locator("#private-link").get_attribute("href")
    assert private_link and "/public/requests/track/" in private_link
    with runtime.db.session(read_only=True) as session:
        asked = requests.by_tracking(session, tracking)
        request_id = asked.id
        # numbered in the year it counts as received (Kansas City): R-2027- from 2027 on
        assert tracking.startswith(f"R-{asked.received_date.year}-")

    # 2. The records custodian acknowledges it and matches the footage (the incident).
    _as(context, live_url, runtime, "records-custodian")
    page.goto(f"{live_url}/requests/{request_id}")
    expect(page.get_by_role("heading", name=f"Records request {tracking}")).to_be_visible()
    transition = page.locator("#transition")
    transition.get_by_label("New status").select_option("acknowledged")
    transition.get_by_role("button", name="Change").click()
    expect(page.locator("#status")).to_have_text("acknowledged")
    page.get_by_label("Incident id").fill(str(s.incident_id))
    page.get_by_label("Why", exact=True).fill("the shooting the requester describes")
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.locator("#released-copies + table")).to_contain_text("None")

    # 3. The incident is handed to the Missouri Highway Patrol (the release authority for a
    # shooting it investigates).
    page.goto(f"{live_url}/incidents/{s.incident_id}")
    page.get_by_label("Reason for the hand-over").fill("Officer-involved shooting protocol")
    page.get_by_role("button", name="Hand over custody").click()
    expect(page.locator("#custodian")).to_have_text("Missouri Highway Patrol")
    with runtime.db.session(read_only=True) as session:
        agency_id = incidents.get_incident(session, s.incident_id).agency_id
    assert agency_id is not None

    # 4. The custodian opens the release case, adds the redacted copy and hands it over.
    page.goto(f"{live_url}/incidents/{s.incident_id}/release")
    page.get_by_role("button", name="Open the release case").click()
    expect(page.locator("#authority")).to_contain_text("Missouri Highway Patrol")
    page.get_by_label("Redacted recording #").fill(str(s.derived_id))
    page.get_by_role("button", name="Add candidate").click()
    expect(page.locator("#candidates")).to_contain_text(str(s.derived_id))

    # 5. A reviewer signs off the plan version; the case goes to the authority.
    _as(context, live_url, runtime, "records-custodian")
    page.goto(f"{live_url}/incidents/{s.incident_id}/release")
    candidates = page.locator("#candidates")
    candidates.get_by_placeholder("note").first.fill("faces and plates checked")
    candidates.get_by_role("button", name=f"Sign off plan v{s.plan_version}").click()
    expect(candidates).to_contain_text("signed off by")
    candidates.locator("select[name=to]").select_option("ready")
    candidates.get_by_role("button", name="Move").click()
    expect(page.locator("#state")).to_contain_text("with the release authority")

    with runtime.db.session(read_only=True) as session:
        candidate_id = release.get_case(session, s.incident_id).candidates[0].id
    # 6. The custodian is refused the decision: no form, and a forged POST is a 403.
    expect(page.locator("#decide")).to_have_count(0)
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content") or page.locator(
        "input[name=csrf_token]"
    ).first.get_attribute("value")
    refused = page.request.post(
        f"{live_url}/api/incidents/{s.incident_id}/release/decision",
        data={"action": "release", "candidate_ids": [candidate_id]},
        headers={"X-CSRF-Token": csrf or "", "Origin": live_url},
    )
    assert refused.status == 403, refused.text()
    assert "release:decide" in refused.text()

    # 7. An MSHP investigator signs in and approves the release.
    _as(context, live_url, runtime, "outside-investigator", agency_id=agency_id)
    page.goto(f"{live_url}/incidents/{s.incident_id}/release")
    decide = page.locator("#decide")
    decide.get_by_label("Decision").select_option("release")
    decide.get_by_role("checkbox").first.check()
    decide.get_by_label("Reason").fill("Reviewed; release the redacted copy.")
    decide.get_by_role("button", name="Record decision").click()
    expect(page.locator("#releases")).to_contain_text("released")
    with runtime.db.session(read_only=True) as session:
        (copy,) = release.released_copies(session, s.incident_id)
    assert copy.derived_recording_id == s.derived_id

    # 8. The custodian sends the released copy to the requester.
    _as(context, live_url, runtime, "records-custodian")
    page.goto(f"{live_url}/requests/{request_id}")
    page.get_by_test_id(f"send-released-{s.derived_id}").click()
    expect(page.locator("#deliveries + ul")).to_contain_text(f"Recording {s.derived_id} (released)")

    # 9. The requester opens the private link and downloads exactly the released bytes.
    context.clear_cookies()
    page.goto(f"{live_url}{private_link}" if private_link.startswith("/") else private_link)
    deliveries = page.locator("#deliveries")
    expect(deliveries).to_contain_text(f"Recording {s.derived_id}")
    with page.expect_download() as download:
        deliveries.get_by_role("link", name="download").click()
    saved = tmp_path / "released.mp4"
    download.value.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == released_sha256

    # 10. Once the serve schedule has sealed the log, the public proof of the release is
    # served with no account, and it checks offline against the downloaded bytes.
    checkpoints.seal_and_checkpoint(runtime)
    proof = page.request.get(f"{live_url}/api/public/releases/{copy.release_id}/proof")
    assert proof.status == 200, proof.text()
    checked = check_bundle(
        proof.json()["released"],
        log_key=log_identity.identity(runtime).verifier_key,
        min_witnesses=0,
        file_sha256=hashlib.sha256(saved.read_bytes()).hexdigest(),
    )
    assert checked.entry["object"] == {"type": "recording", "id": str(s.derived_id)}
    assert "KC26-005150" not in proof.text() and "Jordan" not in proof.text()
