"""Every bad input gets a 4xx with a clear message, on both back ends (issue 8, point 7)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from sunlight.evidence.models import Recording
from sunlight.runtime import Runtime
from sunlight.validation import MAX_ID
from sunlight.web.app import create_app
from tests.support.auth import sign_in
from tests.support.evidence_data import add_officer, add_recording

T0 = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)
HUGE = 2**63  # one past the largest id


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        sign_in(test_client, runtime)
        yield test_client


def _4xx(response: object, status: int | None = None) -> None:
    code = response.status_code  # type: ignore[attr-defined]
    assert 400 <= code < 500, (code, response.text)  # type: ignore[attr-defined]
    if status is not None:
        assert code == status, response.text  # type: ignore[attr-defined]


def test_ids_past_the_integer_range(client: TestClient, runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=T0)
    for url in (
        f"/api/recordings/{HUGE}",
        f"/api/recordings/{HUGE}/custody",
        f"/api/recordings/{HUGE}/original",
        f"/api/recordings/{HUGE}/retention",
        f"/api/recordings/{HUGE}/proof",
        f"/api/incidents/{HUGE}",
        f"/api/incidents/{2**31}",  # a 32-bit INTEGER key on PostgreSQL
        f"/api/redaction/plans/{HUGE}",
        f"/api/redaction/jobs/{HUGE}",
        f"/api/recordings?officer_id={HUGE}",
        f"/api/recordings?page={10**30}",
        f"/log/entries?start={HUGE}&end={HUGE + 5}",
        f"/log/proof/inclusion?index={HUGE}",
        "/api/recordings/0",
        "/api/recordings/-1",
    ):
        _4xx(client.get(url), 422)
    _4xx(client.get(f"/api/recordings/{MAX_ID}"), 404)  # in range: simply not there
    for url, body in (
        (f"/api/recordings/{rec}", {"reason": "r", "officer_id": HUGE}),
        ("/api/retention/holds", {"reason": "r", "recording_id": HUGE}),
        (f"/api/devices/{HUGE}/assignments", {"officer_id": 1, "at": T0.isoformat()}),
        (f"/api/retention/holds/{2**31}/release", {"reason": "r"}),
        ("/api/retention/holds", {"reason": "r", "incident_id": 2**31}),
    ):
        method = client.patch if url == f"/api/recordings/{rec}" else client.post
        _4xx(method(url, json=body), 422)


def test_dates_out_of_range(client: TestClient, runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=T0)
    far = "9999-12-31T23:00:00-05:00"  # year 10000 in UTC
    response = client.get("/api/recordings", params={"from": far})
    _4xx(response, 422)
    assert "out of range" in response.text
    _4xx(client.get("/api/recordings", params={"to": "0001-01-01T00:00:00+05:00"}), 422)
    patch = client.patch(f"/api/recordings/{rec}", json={"reason": "r", "recorded_at": far})
    _4xx(patch, 422)
    incident = {
        "cad_number": "KC-1",
        "type": "arrest",
        "started_at": far,
        "ended_at": far,
    }
    _4xx(client.post("/api/incidents", json=incident), 422)
    _4xx(client.get("/api/retention/report", params={"as_of": "9999-12-31"}), 422)
    _4xx(client.post("/api/retention/run", json={"as_of": "9999-12-31"}), 422)
    _4xx(client.get("/api/compliance/report", params={"month": "9999-12"}), 422)
    _4xx(client.post("/api/compliance/review/draw", json={"month": "9999-12"}), 422)
    csv = f"cad_number,type,started_at,ended_at\nKC1,arrest,{far},{far}\n"
    imported = client.post("/api/import/cad", content=csv.encode())
    _4xx(imported, 422)
    assert "out of range" in imported.json()["errors"][0]["text"]
    # the ones within range still work
    ok = client.get("/api/recordings", params={"from": "2026-01-01T00:00:00-05:00"})
    assert ok.status_code == 200 and ok.json()["total"] == 1


def test_text_with_nul_or_longer_than_its_column(client: TestClient, runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=T0)
    nul = client.patch(f"/api/recordings/{rec}", json={"reason": "r", "title": "a\x00b"})
    _4xx(nul, 422)
    assert "NUL" in nul.json()["detail"]
    _4xx(client.get("/api/recordings", params={"q": "a\x00b"}), 400)
    _4xx(client.get("/api/incidents", params={"q": "\x00"}), 400)
    lone = '{"reason": "r", "title": "\\ud800"}'
    response = client.patch(
        f"/api/recordings/{rec}", content=lone, headers={"content-type": "application/json"}
    )
    _4xx(response, 422)
    long_title = client.patch(f"/api/recordings/{rec}", json={"reason": "r", "title": "t" * 256})
    _4xx(long_title, 422)
    officer = {"badge_number": "1", "name": "A", "unit": "u" * 101}
    _4xx(client.post("/api/officers", json=officer), 422)
    rows = [
        "cad_number,type,started_at,ended_at,location,unit",
        f"KC1,arrest,{T0.isoformat()},{T0.isoformat()},{'L' * 301},Central",
        f"KC2,arrest,{T0.isoformat()},{T0.isoformat()},Main St,{'U' * 101}",
        f"KC3,arrest,{T0.isoformat()},{T0.isoformat()},Main\x00St,Central",
    ]
    imported = client.post("/api/import/cad", content="\n".join(rows).encode())
    _4xx(imported, 422)
    texts = [e["text"] for e in imported.json()["errors"]]
    assert texts == [
        "row 1 (line 2): location: longer than 300 characters (301)",
        "row 2 (line 3): unit: longer than 100 characters (101)",
        "row 3 (line 4): location: contains a NUL character",
    ]
    with runtime.db.session() as session:
        recording = session.get(Recording, rec)
        assert recording is not None and recording.title is None  # nothing changed


def test_numbers_finite_and_json_depth_bounded(client: TestClient, runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=T0)
    url = f"/api/redaction/recordings/{rec}/plans"
    for number in ("NaN", "Infinity", "-Infinity", "1e400"):
        body = f'{{"plan": {{"version": 1, "x": {number}}}}}'
        response = client.post(url, content=body, headers={"content-type": "application/json"})
        _4xx(response, 422)
        assert "finite" in response.text or "out of range" in response.text
    deep = '{"plan": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(url, content=deep, headers={"content-type": "application/json"})
    _4xx(response, 422)
    assert "deeper than 64" in response.json()["detail"]
    bad = client.post(url, content=b"{not json", headers={"content-type": "application/json"})
    _4xx(bad, 422)


def test_range_per_rfc_9110(client: TestClient, runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=T0)
    url = f"/api/recordings/{rec}/original"
    size = int(client.head(url).headers["content-length"])
    assert client.get(url, headers={"Range": "bytes=-0"}).status_code == 416
    unsatisfiable = client.get(url, headers={"Range": f"bytes={size}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{size}"
    for ignored in ("bytes=+1-2", "bytes= 1_0-20", "bytes=5-2", "bytes=--1", "items=0-1"):
        assert client.get(url, headers={"Range": ignored}).status_code == 200, ignored
    part = client.get(url, headers={"Range": "bytes=-3"})
    assert (
        part.status_code == 206
        and part.headers["content-range"] == f"bytes {size - 3}-{size - 1}/{size}"
    )
    assert client.get(url, headers={"Range": f"bytes=0-{10**30}"}).status_code == 206


def test_tus_metadata_checked_at_creation(client: TestClient, runtime: Runtime) -> None:
    def create(**fields: str) -> object:
        meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())
        return client.post(
            "/api/uploads",
            headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": meta},
        )

    for fields, words in (
        ({"filename": "a.mp4", "title": "t" * 256}, "at most 255"),
        ({"filename": "a.mp4", "notes": "x\x00y"}, "NUL"),
        ({"filename": "a.mp4", "recorded_at": "9999-12-31T23:00:00-05:00"}, "out of range"),
        ({"filename": "a.mp4", "officer": "4\x00417"}, "NUL"),
    ):
        response = create(**fields)
        _4xx(response, 400)
        assert words in response.text, response.text
    assert create(filename="a.mp4", title="t" * 255).status_code == 201


def test_one_bad_sidecar_does_not_stop_a_folder(runtime: Runtime, tmp_path: Path) -> None:
    from sunlight.cli.ingest import run_ingest

    add_officer(runtime, "4417", "Dana Whitfield")
    folder = tmp_path / "dock"
    folder.mkdir()
    sidecars = {
        "a.mp4": {"recorded_at": "9999-12-31T23:00:00-05:00"},
        "b.mp4": {"title": "t" * 300},
        "c.mp4": {"notes": "x\x00y"},
        "d.mp4": {"officer": "4417", "recorded_at": "2026-05-08T09:00:00-05:00"},
    }
    for n, (name, sidecar) in enumerate(sidecars.items()):
        (folder / name).write_bytes(f"not really a video {n}".encode())
        (folder / f"{name}.json").write_text(json.dumps(sidecar))
    (folder / "e.mp4").write_bytes(b"no sidecar at all")
    (folder / "f.mp4").write_bytes(b"nested too deep")
    (folder / "f.mp4.json").write_text("[" * 10_000 + "]" * 10_000)
    report = run_ingest(
        runtime, (folder,), officer=None, device=None, recorded_at=None, as_json=True
    )
    errors = {Path(e["path"]).name: e["error"] for e in report["errors"]}
    assert sorted(errors) == ["a.mp4", "b.mp4", "c.mp4", "f.mp4"]
    assert "out of range" in errors["a.mp4"]
    assert "b.mp4.json" in errors["b.mp4"] and "at most 255" in errors["b.mp4"]
    assert "NUL" in errors["c.mp4"]
    assert "deeper than 64" in errors["f.mp4"]
    ingested = sorted(r["filename"] for r in report["ingested"])
    assert ingested == ["d.mp4", "e.mp4"]


def test_retention_cli_as_of_out_of_range(tmp_path: Path) -> None:
    from sunlight.cli.main import cli

    env = {"SUNLIGHT_HOME": str(tmp_path / "home"), "SUNLIGHT_WORKER_MODE": "eager"}
    result = CliRunner().invoke(
        cli, ["retention", "run", "--dry-run", "--as-of", "9999-12-31"], env=env
    )
    assert result.exit_code == 2 and "out of range" in result.output


def test_plan_files_and_cli_ids(tmp_path: Path) -> None:
    from sunlight.cli.main import cli
    from sunlight.redaction.plan import PlanError, load_plan

    for text in ('{"version": NaN}', '{"v": 1e400}', "[" * 5000 + "]" * 5000):
        with pytest.raises(PlanError, match="not valid JSON"):
            load_plan(text)
    env = {"SUNLIGHT_HOME": str(tmp_path / "home"), "SUNLIGHT_WORKER_MODE": "eager"}
    result = CliRunner().invoke(cli, ["ledger", "export-proof", str(2**63)], env=env)
    assert result.exit_code == 2 and "range" in result.output


def test_compliance_month_out_of_range(tmp_path: Path) -> None:
    from sunlight.cli.main import cli

    env = {"SUNLIGHT_HOME": str(tmp_path / "home"), "SUNLIGHT_WORKER_MODE": "eager"}
    result = CliRunner().invoke(cli, ["compliance", "report", "--month", "9999-12"], env=env)
    assert result.exit_code == 2 and "out of range" in result.output
