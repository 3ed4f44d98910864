"""The released list's area: one rule (``portal.areas``) read by the release page, the list's
rows, the ``area`` filter and its choices, the JSON list and the open-data download, so they
never disagree. A release from a nonpublic location never appears under any area."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from sunlight.evidence.models import RecordingFlag
from sunlight.incidents.models import Incident
from sunlight.requests.intake import file_request
from sunlight.requests.matching import add_item, remove_item
from sunlight.requests.models import RecordsRequest
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.portal.support import Released, decide
from tests.release.support import T0, person

CENTRAL = "Central Patrol Division"
EAST = "East Patrol Division"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def _release(
    runtime: Runtime,
    client: TestClient,
    cad: str,
    unit: str | None,
    type: str = "officer-involved-shooting",
) -> Released:
    done = decide(runtime, client, cad=cad, type=type, seal=False)
    with runtime.db.session() as session:
        incident = session.get(Incident, done.incident_id)
        assert incident is not None
        incident.unit = unit
    return done


def _ids(client: TestClient, **query: str) -> list[int]:
    listed = client.get("/api/public/releases?" + urlencode(query))
    assert listed.status_code == 200, listed.text
    return [row["id"] for row in listed.json()]


def _choices(html: str) -> dict[str, int]:
    """The area select's options (beyond "Any"): area -> count."""
    block = html.split('<select id="area" name="area">', 1)[1].split("</select>", 1)[0]
    found: dict[str, int] = {}
    for option in block.split("<option ")[2:]:
        value = option.split('value="', 1)[1].split('"', 1)[0]
        label = option.split(">", 1)[1].split("</option>", 1)[0]
        assert label.startswith(f"{value} (")
        found[value] = int(label.rsplit("(", 1)[1].rstrip(")").replace(",", ""))
    return found


def test_area_filter_rows_choices_and_page_agree(runtime: Runtime, client: TestClient) -> None:
    central = _release(runtime, client, "KC26-007001", CENTRAL)
    central_uof = _release(runtime, client, "KC26-007002", CENTRAL, type="use-of-force")
    east = _release(runtime, client, "KC26-007003", f"  {EAST} ")  # trimmed
    metro = _release(runtime, client, "KC26-007004", "Metro Tactical Unit")
    lower = _release(runtime, client, "KC26-007005", "central patrol division")  # not one
    bare = _release(runtime, client, "KC26-007006", "Patrol Division")  # no division named
    flagged = _release(runtime, client, "KC26-007007", CENTRAL)
    linked = _release(runtime, client, "KC26-007008", EAST)
    with runtime.db.session() as session:
        # a cleared flag still hides the area
        session.add(
            RecordingFlag(
                recording_id=flagged.original_id,
                kind="nonpublic-location",
                reason="inside a dwelling",
                created_by="test:clerk",
                cleared_at=T0 + timedelta(days=40),
                cleared_by="test:clerk",
            )
        )
        filed, _ = file_request(
            session,
            name="A Requester",
            email="a@example.org",
            requester_type="public",
            description="the footage",
            now=T0 + timedelta(days=3),
        )
        add_item(
            session,
            filed,
            principal=person(runtime, 1, "records-custodian"),
            why="recorded inside a home",
            now=T0 + timedelta(days=3),
            incident_id=linked.incident_id,
            nonpublic_location=True,
        )
    hidden = {flagged.release_id, linked.release_id}
    unpublished = {metro.release_id, lower.release_id, bare.release_id}

    # the filter (JSON and HTML) returns exactly the releases of each area
    assert sorted(_ids(client, area=CENTRAL)) == sorted(
        [central.release_id, central_uof.release_id]
    )
    assert _ids(client, area=EAST) == [east.release_id]
    assert _ids(client, area=CENTRAL, type="use-of-force") == [central_uof.release_id]
    assert _ids(client, area="Metro Tactical Unit") == []
    assert _ids(client, area="central patrol division") == []
    page = client.get("/public/releases?" + urlencode({"area": CENTRAL})).text
    assert f'href="/public/releases/{central.release_id}"' in page
    assert f'href="/public/releases/{east.release_id}"' not in page
    assert "2 released videos." in page

    # the choices: only areas with releases, with counts the filter agrees with
    choices = _choices(client.get("/public/releases").text)
    assert choices == {CENTRAL: 2, EAST: 1}
    for area, count in choices.items():
        ids = _ids(client, area=area)
        assert len(ids) == count
        assert not hidden & set(ids) and not unpublished & set(ids)
        html = client.get("/public/releases?" + urlencode({"area": area})).text
        assert f"{count} released video" in html
        assert f'<option value="{area}" selected>' in html

    # each row's area is the release page's area, in the JSON list, the HTML and open data
    listed = {row["id"]: row["area"] for row in client.get("/api/public/releases").json()}
    assert len(listed) == 8
    data = client.get("/api/public/data/releases.csv").text
    in_csv = {int(r["id"]): r["area"] for r in csv.DictReader(io.StringIO(data))}
    for release_id, area in listed.items():
        shown = client.get(f"/api/public/releases/{release_id}").json()["context"]
        assert shown["area"] == area
        assert in_csv[release_id] == (area or "")
        if release_id in hidden:
            assert area is None
            assert shown["area_note"] == "Not published: recorded in a nonpublic location"
        elif release_id in unpublished:
            assert area is None and shown["area_note"] == "Area not published"
        else:
            assert area in (CENTRAL, EAST) and shown["area_note"] is None
    everything = client.get("/public/releases").text
    assert everything.count('<td data-label="Area">Area not published</td>') == len(
        hidden | unpublished
    )
    assert everything.count(f'<td data-label="Area">{CENTRAL}</td>') == 2


def test_a_new_nonpublic_flag_hides_the_area_on_cached_list_pages_at_once(
    runtime: Runtime, client: TestClient
) -> None:
    """The list pages are cached; a flag added afterwards must still hide the area on the
    very next request (not after the cache's time to live)."""
    done = _release(runtime, client, "KC26-007101", CENTRAL)
    assert CENTRAL in client.get("/public/releases").text
    assert _choices(client.get("/public/releases").text) == {CENTRAL: 1}
    with runtime.db.session() as session:
        session.add(
            RecordingFlag(
                recording_id=done.original_id,
                kind="nonpublic-location",
                reason="inside a dwelling",
                created_by="test:clerk",
            )
        )
    page = client.get("/public/releases").text
    assert CENTRAL not in page
    assert _choices(page) == {}


def test_a_nonpublic_request_item_hides_the_area_on_cached_list_pages_at_once(
    runtime: Runtime, client: TestClient
) -> None:
    """A request item marking the incident's footage as made in a nonpublic location, and
    that item's removal, move the list pages' version: the very next page hides (shows)
    the area. The answers' cache in front is off: the list pages' own cache is tested."""
    client.app.state.public_cache.enabled = False  # type: ignore[attr-defined]
    done = _release(runtime, client, "KC26-007201", CENTRAL)
    assert _choices(client.get("/public/releases").text) == {CENTRAL: 1}
    assert _choices(client.get("/public/releases").text) == {CENTRAL: 1}  # kept
    with runtime.db.session() as session:
        filed, _ = file_request(
            session,
            name="A Requester",
            email="a@example.org",
            requester_type="public",
            description="the footage",
            now=T0 + timedelta(days=3),
        )
        item = add_item(
            session,
            filed,
            principal=person(runtime, 1, "records-custodian"),
            why="recorded inside a home",
            now=T0 + timedelta(days=3),
            incident_id=done.incident_id,
            nonpublic_location=True,
        )
        request_id, item_id = filed.id, item.id
    page = client.get("/public/releases").text
    assert CENTRAL not in page
    assert _choices(page) == {}
    with runtime.db.session() as session:
        found = session.get(RecordsRequest, request_id)
        assert found is not None
        remove_item(session, found, item_id, actor="test:clerk", why="wrong incident", now=T0)
    assert _choices(client.get("/public/releases").text) == {CENTRAL: 1}
