"""The JSON API: listing, detail with sha256, exact bytes with Range, custody logging."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from sunlight.evidence import service
from sunlight.evidence.custody import events_for
from sunlight.runtime import Runtime


def actions(runtime: Runtime, recording_id: int) -> list[str]:
    with runtime.db.session() as session:
        return [e.action for e in events_for(session, "recording", recording_id)]


def test_detail_has_sha256_and_links(client: TestClient, recording: tuple[int, bytes]) -> None:
    rid, data = recording
    body = client.get(f"/api/recordings/{rid}").json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["size_bytes"] == len(data)
    assert body["links"]["original"] == f"/api/recordings/{rid}/original"
    assert body["playable"] is True
    assert client.get("/api/recordings/999999").status_code == 404


def test_original_bytes_and_ranges(client: TestClient, recording: tuple[int, bytes]) -> None:
    rid, data = recording
    url = f"/api/recordings/{rid}/original"
    full = client.get(url)
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    for header, (start, end) in {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, len(data) - 1),
        "bytes=-500": (len(data) - 500, len(data) - 1),
        f"bytes={len(data) - 1}-{len(data) + 50}": (len(data) - 1, len(data) - 1),
    }.items():
        part = client.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.content == data[start : end + 1], header
        assert part.headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
    assert client.get(url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(data))
    head_range = client.head(url, headers={"Range": "bytes=0-9"})
    assert head_range.status_code == 206 and head_range.headers["content-length"] == "10"


def test_reads_are_logged_once_per_window(
    client: TestClient, runtime: Runtime, recording: tuple[int, bytes]
) -> None:
    rid, _ = recording
    for _ in range(3):
        client.get(f"/api/recordings/{rid}/original", headers={"Range": "bytes=0-10"})
    client.get(f"/api/recordings/{rid}")
    client.get(f"/api/recordings/{rid}/original?download=true&reason=subpoena 26-114")
    client.get(f"/api/recordings/{rid}/original?download=true&reason=subpoena 26-114")
    seen = actions(runtime, rid)
    assert seen.count("stream") == 1
    assert seen.count("view") == 1
    assert seen.count("download") == 2  # every download is its own event
    with runtime.db.session() as session:
        downloads = [e for e in events_for(session, "recording", rid) if e.action == "download"]
        assert downloads[0].reason == "subpoena 26-114"


def test_list_filters_and_pagination(
    client: TestClient, runtime: Runtime, recording: tuple[int, bytes]
) -> None:
    assert client.get("/api/recordings").json()["total"] == 1
    assert client.get("/api/recordings", params={"q": "test stop"}).json()["total"] == 1
    assert client.get("/api/recordings", params={"q": "nothing like it"}).json()["total"] == 0
    assert client.get("/api/recordings", params={"status": "playable"}).json()["total"] == 1
    assert client.get("/api/recordings", params={"status": "unplayable"}).json()["total"] == 0
    assert client.get("/api/recordings", params={"status": "bogus"}).status_code == 422
    assert client.get("/api/recordings", params={"per_page": 0}).status_code == 422
    assert client.get("/api/recordings", params={"from": "not a date"}).status_code == 422
    assert (
        client.get(
            "/api/recordings", params={"from": "2030-01-01T00:00:00Z", "to": "2020-01-01T00:00:00Z"}
        ).status_code
        == 422
    )
    page = client.get("/api/recordings", params={"per_page": 1, "page": 2}).json()
    assert page["items"] == [] and page["pages"] == 1


def test_metadata_change_needs_reason_and_is_logged(
    client: TestClient, runtime: Runtime, recording: tuple[int, bytes]
) -> None:
    rid, data = recording
    assert client.patch(f"/api/recordings/{rid}", json={"title": "x"}).status_code == 422
    assert (
        client.patch(f"/api/recordings/{rid}", json={"sha256": "0" * 64, "reason": "r"}).status_code
        == 422
    )
    response = client.patch(
        f"/api/recordings/{rid}", json={"title": "Stop on Troost", "reason": "typo in title"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Stop on Troost"
    with runtime.db.session() as session:
        change = [e for e in events_for(session, "recording", rid) if e.action == "metadata.change"]
        assert change[0].details == {
            "before": {"title": "Test stop"},
            "after": {"title": "Stop on Troost"},
        }
        assert change[0].reason == "typo in title"
    assert client.get(f"/api/recordings/{rid}/original").content == data


def test_flags(client: TestClient, runtime: Runtime, recording: tuple[int, bytes]) -> None:
    rid, _ = recording
    created = client.post(
        f"/api/recordings/{rid}/flags", json={"kind": "review", "reason": "audio gap"}
    )
    assert created.status_code == 201
    flag_id = created.json()["id"]
    assert client.get("/api/recordings", params={"status": "flagged"}).json()["total"] == 1
    assert client.post(f"/api/recordings/{rid}/flags/{flag_id}/clear", json={}).status_code == 422
    cleared = client.post(
        f"/api/recordings/{rid}/flags/{flag_id}/clear", json={"reason": "checked"}
    )
    assert cleared.status_code == 200 and cleared.json()["cleared_at"]
    assert client.get("/api/recordings", params={"status": "flagged"}).json()["total"] == 0
    assert actions(runtime, rid)[-2:] == ["flag", "flag.clear"]


def test_registry_endpoints(client: TestClient, runtime: Runtime) -> None:
    officer = client.post("/api/officers", json={"badge_number": "4417", "name": "Dana W."})
    assert officer.status_code == 201
    assert (
        client.post("/api/officers", json={"badge_number": "4417", "name": "Dup"}).status_code
        == 409
    )
    assert client.post("/api/officers", json={"badge_number": "", "name": "x"}).status_code == 422
    device = client.post(
        "/api/devices",
        json={
            "serial": "PAN-1",
            "vendor": "Panasonic",
            "model": "Arbitrator",
            "funding_source": "DeBruce Foundation",
        },
    )
    assert device.status_code == 201
    assert (
        client.post(
            "/api/devices", json={"serial": "X", "vendor": "v", "model": "m", "kind": "drone"}
        ).status_code
        == 422
    )
    assigned = client.post(
        f"/api/devices/{device.json()['id']}/assignments",
        json={"officer_id": officer.json()["id"], "at": "2026-01-01T08:00:00-06:00"},
    )
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["assignments"][0]["badge_number"] == "4417"
    with runtime.db.session() as session:
        holder = service.list_devices(session)[0].assignments[0]
        assert holder.started_at == datetime(2026, 1, 1, 14, 0, tzinfo=UTC)


def test_openapi_documents_the_named_endpoints(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "get" in paths["/api/recordings"]
    assert "get" in paths["/api/recordings/{recording_id}"]
    assert {"get", "head"} <= set(paths["/api/recordings/{recording_id}/original"])


@pytest.mark.parametrize("path", ["/recordings", "/upload", "/officers", "/devices"])
def test_pages_render(client: TestClient, recording: tuple[int, bytes], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "<html" in response.text


def test_recording_page_shows_player_metadata_and_custody(
    client: TestClient, recording: tuple[int, bytes]
) -> None:
    rid, data = recording
    page = client.get(f"/recordings/{rid}").text
    assert "<video" in page
    assert hashlib.sha256(data).hexdigest() in page
    assert "Custody log" in page and ">ingest<" in page
    assert client.get("/recordings/424242", headers={"accept": "text/html"}).status_code == 404
