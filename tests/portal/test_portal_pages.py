"""The public portal (no account): its pages carry no staff chrome, a released copy plays
with HTTP Range while an embargoed or unknown release is 404 (page and media alike), the
release page shows its custody-log badge and timeline without names or places, `/` sends
residents to the portal and staff to their landing, and the request log names no one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.evidence.models import Recording
from sunlight.ledger.models import LedgerLeaf
from sunlight.ledger.proofs import ingest_event_id
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.portal.support import decide
from tests.support.auth import sign_in

STAFF_CHROME = ("Signed in as", 'href="/recordings"', 'href="/audit"', "Sign out", 'href="/upload"')
PAGES = ("/public", "/public/releases", "/public/requests")


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def _no_chrome(html: str) -> None:
    for marker in STAFF_CHROME:
        assert marker not in html, marker
    assert '<html lang="en">' in html and "<main" in html and 'href="/sign-in"' in html


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_open_to_anyone_without_staff_chrome(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200, page.text
    _no_chrome(page.text)
    assert 'href="/static/public.css"' in page.text and "<style" not in page.text
    assert "<script" not in page.text
    assert client.get("/static/public.css").status_code == 200


def test_a_signed_in_officer_sees_no_staff_chrome_either(
    runtime: Runtime, client: TestClient
) -> None:
    sign_in(client, runtime, roles=("records-custodian",))
    _no_chrome(client.get("/public").text)


def test_home_sends_residents_to_the_portal_and_staff_to_their_landing(
    runtime: Runtime, client: TestClient
) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/public"
    sign_in(client, runtime, roles=("records-custodian",))
    landing = client.get("/", follow_redirects=False).headers["location"]
    assert landing != "/public" and landing.startswith("/")


def test_the_home_page_leads_to_every_public_section_and_both_ways_to_verify(
    client: TestClient,
) -> None:
    """The home page's own text (not only the menu) says what each section is, and how to
    check a video: in the browser and with the stand-alone checker."""
    html = client.get("/public").text
    body = html[html.index("<main") :]
    for path in (
        "/public/releases",
        "/public/requests",
        "/public/requests/new",
        "/public/stats",
        "/public/policies",
        "/public/data",
        "/log",
    ):
        assert f'href="{path}"' in body, path
    assert "Verify in my browser" in body and "sunlight-verify" in body


def test_a_released_copy_plays_with_range_and_shows_its_badge(
    runtime: Runtime, client: TestClient
) -> None:
    done = decide(runtime, client, cad="KC26-007001")
    with runtime.db.session(read_only=True) as session:
        derived = session.get(Recording, done.derived_id)
        original = session.get(Recording, done.original_id)
        assert derived is not None and original is not None
        leaf = session.scalar(
            select(LedgerLeaf).where(
                LedgerLeaf.event_id == ingest_event_id(session, done.derived_id)
            )
        )
        assert leaf is not None
        data = b"".join(runtime.store.iter_range(derived.sha256))
        private = {derived.original_filename, original.original_filename}

    listed = client.get("/public/releases")
    assert f'href="/public/releases/{done.release_id}"' in listed.text

    page = client.get(f"/public/releases/{done.release_id}")
    assert page.status_code == 200, page.text
    _no_chrome(page.text)
    # a title that says what the video is, for a reader with many tabs open (WCAG 2.4.2)
    assert f"<title>Release {done.release_id}: Officer-involved shooting, 2026-" in page.text
    html = page.text
    assert f'src="/public/releases/{done.release_id}/media"' in html
    assert f"in the custody log at index {leaf.leaf_index}, ingested at" in html
    assert f'href="/api/public/releases/{done.release_id}/proof"' in html
    assert "Missouri Highway Patrol" in html  # who decided: the agency, never a person
    assert "officer-involved-shooting" in html and "2026-05-08" in html
    timeline = html.split('id="timeline"')[1]
    for step in ("Incident", "Footage under review", "delivered for decision", "Release decided"):
        assert step in timeline, step
    for secret in (*private, "KC26-007001", "Officer 7001", "user:", "test:"):
        assert secret not in html, secret

    media = f"/public/releases/{done.release_id}/media"
    whole = client.get(media)
    assert whole.status_code == 200 and whole.content == data
    part = client.get(media, headers={"Range": "bytes=2-9"})
    assert part.status_code == 206 and part.content == data[2:10]
    assert part.headers["content-range"] == f"bytes 2-9/{len(data)}"
    assert derived.original_filename not in part.headers.get("content-disposition", "")
    head = client.head(media)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(data))
    # the original (unredacted) recording is never reachable through the portal
    assert original.sha256 != derived.sha256


def test_an_embargoed_or_unknown_release_is_404(runtime: Runtime, client: TestClient) -> None:
    held = decide(runtime, client, cad="KC26-007002", embargo_until="2099-01-01T12:00:00Z")
    for path in (f"/public/releases/{held.release_id}", "/public/releases/999"):
        assert client.get(path).status_code == 404
        assert client.get(f"{path}/media").status_code == 404
    assert f"/public/releases/{held.release_id}" not in client.get("/public/releases").text
    sign_in(client, runtime, roles=("records-custodian",))  # staff see the portal's 404 too
    missing = client.get(f"/public/releases/{held.release_id}", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "Not found" in missing.text
    _no_chrome(missing.text)


def test_release_list_filters_and_pages(runtime: Runtime, client: TestClient) -> None:
    done = decide(runtime, client, cad="KC26-007003", seal=False)
    link = f'href="/public/releases/{done.release_id}"'
    assert link in client.get("/public/releases?type=officer-involved-shooting").text
    assert link not in client.get("/public/releases?type=arrest").text
    assert link in client.get("/public/releases?from=2026-05-01&to=2026-05-31").text
    assert link not in client.get("/public/releases?from=2026-06-01").text
    assert client.get("/public/releases?from=nonsense").status_code == 422
    assert client.get("/public/releases?page=0").status_code == 422
    # not sealed yet: the badge says so instead of inventing an index
    assert (
        "not sealed into the custody log yet"
        in client.get(f"/public/releases/{done.release_id}").text
    )


def test_the_release_list_names_incident_types_in_the_readers_language(
    runtime: Runtime, client: TestClient
) -> None:
    """The list's rows and its type filter read "Officer-involved shooting" (Spanish on
    ``?lang=es``), not the code; each cell carries its column's name for narrow screens."""
    decide(runtime, client, cad="KC26-007004", seal=False)
    html = client.get("/public/releases").text
    assert '<td data-label="Incident type">Officer-involved shooting</td>' in html
    assert '<option value="officer-involved-shooting" >Officer-involved shooting</option>' in html
    assert ">officer-involved-shooting<" not in html
    spanish = client.get("/public/releases?lang=es").text
    assert ">Officer-involved shooting<" not in spanish
    assert 'data-label="Tipo de incidente"' in spanish


def test_the_last_day_there_is_filters_instead_of_failing(
    runtime: Runtime, client: TestClient
) -> None:
    """``to=9999-12-31`` is a date like any other: every release is on or before it (the
    filter's "day after" was out of Python's range: 500 on the page, the JSON and open data)."""
    done = decide(runtime, client, cad="KC26-007013", seal=False)
    page = client.get("/public/releases?to=9999-12-31")
    assert page.status_code == 200
    assert f'href="/public/releases/{done.release_id}"' in page.text
    listed = client.get("/api/public/releases?to=9999-12-31")
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [done.release_id]
    assert client.get("/api/public/releases?from=9999-12-31").json() == []


def test_request_log_page_names_no_requester(runtime: Runtime, client: TestClient) -> None:
    filed = client.post(
        "/api/public/requests",
        json={
            "name": "Jordan Example",
            "email": "jordan@example.org",
            "phone": "816-555-0100",
            "requester_type": "public",
            "description": "Video of the stop on Troost Ave on 8 May 2026.",
        },
    )
    assert filed.status_code == 201, filed.text
    tracking = filed.json()["tracking_number"]
    page = client.get("/public/requests")
    assert page.status_code == 200
    _no_chrome(page.text)
    assert tracking in page.text and 'href="/public/requests/new"' in page.text
    for secret in ("Jordan", "jordan@example.org", "816-555-0100", "Troost"):
        assert secret not in page.text, secret
    api = client.get("/api/public/requests").json()
    assert tracking in {e["tracking_number"] for e in api}
