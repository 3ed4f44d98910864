"""`sunlight demo` gives a newcomer a working system, and is idempotent."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.cli.main import cli
from sunlight.demo_requests import REQUESTS, first_tracking_link
from sunlight.requests.models import RecordsRequest
from sunlight.requests.states import Status
from sunlight.runtime import start
from sunlight.web.app import create_app
from tests.conftest import embedded_settings
from tests.support.auth import sign_in


def test_demo_twice(tmp_path: Path) -> None:
    env = {"SUNLIGHT_HOME": str(tmp_path / "home")}
    first = CliRunner().invoke(cli, ["demo", "--json"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output[first.output.index("{") :])
    assert summary == {
        "ingested": 7,
        "duplicates": 0,
        "flagged": 1,
        "incidents": 4,
        "c2pa_key": "demo",
        "released": 1,
        "pending_outside": 1,
        "requests": 10,
        "witness": summary["witness"],
        "stats": summary["stats"],
        "policy_proposals": 1,
    }
    assert summary["stats"] > 90  # placeholder recordings for the statistics (demo_stats.py)
    assert summary["witness"] > 7  # the cosigned checkpoint holds every demo ingest
    again = CliRunner().invoke(cli, ["demo", "--json"], env=env, catch_exceptions=False)
    summary = json.loads(again.output[again.output.index("{") :])
    keys = (
        "ingested",
        "duplicates",
        "flagged",
        "incidents",
        "released",
        "pending_outside",
        "requests",
        "stats",
    )
    assert {k: summary[k] for k in keys} == {
        "ingested": 0,
        "duplicates": 7,
        "flagged": 0,
        "incidents": 0,
        "released": 1,  # the one release, kept
        "pending_outside": 1,  # the one case pending with the Highway Patrol, kept
        "requests": 0,
        "stats": 0,
    }
    assert summary["c2pa_key"] == "kept"  # a key in place is never replaced

    _requests_and_release_are_there(tmp_path / "home")


def _requests_and_release_are_there(home: Path) -> None:
    """What the demo's banner points a newcomer to: /requests, /releases, the public list
    of releases and its proof, the public request log and a requester's tracking page."""
    runtime = start(embedded_settings(home))
    try:
        # The first demo request (the fulfilled one, whose link the banner prints), numbered
        # in the year it was received, after the older ones (filing order is date order).
        with runtime.db.session(read_only=True) as session:
            number = session.scalar(
                select(RecordsRequest.tracking_number).where(
                    RecordsRequest.requester_email == REQUESTS[0].email
                )
            )
        assert number is not None and re.fullmatch(r"R-\d{4}-\d{6}", number), number
        with TestClient(create_app(runtime, start_worker=False)) as client:
            link = first_tracking_link(home / "demo")
            assert link is not None
            tracked = client.get(link)
            assert tracked.status_code == 200 and number in tracked.text
            # the fulfilled request's released copy downloads from the requester's link
            view = client.get(link.replace("/public/", "/api/public/")).json()
            (delivery,) = view["deliveries"]
            got = client.get(delivery["download"])
            assert got.status_code == 200 and len(got.content) > 1000
            log = client.get("/api/public/requests").json()
            assert len(log) == 10 + 16  # demo_requests.py and demo_stats.py
            released = client.get("/api/public/releases").json()
            assert [r["incident_type"] for r in released] == ["first-amendment-assembly"]
            assert released[0]["area"] == "Metro Patrol Division"
            proof = client.get(f"/api/public/releases/{released[0]['id']}/proof")
            assert proof.status_code == 200, proof.text
            # the portal shows it to residents: page, badge, a playable copy, the request log
            portal = client.get(f"/public/releases/{released[0]['id']}")
            assert portal.status_code == 200 and "in the custody log at index" in portal.text
            media = f"/public/releases/{released[0]['id']}/media"
            assert client.get(media, headers={"Range": "bytes=0-99"}).status_code == 206
            assert number in client.get("/public/requests").text
            vtt = client.get(f"/public/releases/{released[0]['id']}/captions.vtt")  # captions
            assert vtt.status_code == 200 and "[Steady electronic tone]" in vtt.text
            sign_in(client, runtime, roles=("records-custodian",))
            queue = client.get("/requests?include_closed=true")
            assert queue.status_code == 200
            rows = client.get("/api/requests", params={"include_closed": True}).json()
            assert {r["status"] for r in rows} == {str(status) for status in Status}
            assert client.get("/releases").status_code == 200
    finally:
        runtime.close()
