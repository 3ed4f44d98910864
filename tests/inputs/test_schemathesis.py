"""schemathesis against the running server on both back ends: 0 server errors.

Every operation of the OpenAPI document is fuzzed with ``--checks all``, a bounded number of
examples per operation and a fixed seed, against a live uvicorn server on a seeded archive
(officers, cameras, recordings, an incident). The run must find no server error (5xx); the
other checks' findings are printed for the record (see the test's output).

Nothing is excluded: the tus upload routes are not in the OpenAPI document (tus has its own
protocol and its own tests in tests/web/test_tus.py), and the pages are not either.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sunlight.evidence import service as evidence
from sunlight.incidents import service as incidents
from sunlight.runtime import Runtime
from sunlight.web.security import COOKIE
from tests.support.auth import make_session
from tests.support.evidence_data import add_officer, add_recording
from tests.support.server import live_server

T0 = datetime(2025, 3, 1, 14, 0, tzinfo=UTC)
MAX_EXAMPLES = 20
SEED = 20261203


def _seed(runtime: Runtime) -> None:
    officers = [add_officer(runtime, f"44{n}", f"Officer {n}", "Central") for n in range(1, 4)]
    recordings = [
        add_recording(runtime, officer_id=officers[n % 3], recorded_at=T0 + timedelta(hours=n))
        for n in range(6)
    ]
    with runtime.db.session() as session:
        for n in range(1, 3):
            evidence.create_device(
                session, serial=f"BWC-{n}", vendor="Axon", model="Body 4", actor="test"
            )
        incident = incidents.create_incident(
            session,
            cad_number="KC25-100",
            type="arrest",
            started_at=T0,
            ended_at=T0 + timedelta(hours=1),
            officer_badges=["441"],
            actor="test",
        )
        incidents.link_recording(session, incident.id, recordings[0], actor="test")


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(runtime: Runtime, tmp_path: Path) -> None:
    _seed(runtime)
    cli = Path(sys.executable).with_name("schemathesis")
    signed = make_session(runtime)
    with live_server(runtime) as base:
        run = subprocess.run(
            [
                str(cli),
                "run",
                f"{base}/api/openapi.json",
                # a signed-in records custodian and administrator, so routes are exercised
                "--header",
                f"Cookie: {COOKIE}={signed.raw_token}",
                "--header",
                f"X-CSRF-Token: {signed.csrf_token}",
                "--header",
                f"Origin: {base}",
                "--header",
                "Sunlight-Reason: other: schemathesis",
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--report",
                "ndjson",
                "--report-dir",
                str(tmp_path),
                "--no-color",
            ],
            cwd=tmp_path,  # its example cache (.schemathesis/) stays out of the work tree
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=900,
            check=False,
        )
    output = run.stdout + run.stderr
    summary = output[output.find("SUMMARY") :]
    print(summary)  # the other checks' findings, for the record
    for finding in _findings(output):
        print(finding)
    tested = re.search(r"Tested:\s+(\d+)", summary)
    assert tested and int(tested.group(1)) >= 60, output[-4000:]
    found = re.findall(r"(ST\d+) ([^:\n]+): (\d+)", summary)
    server_errors = [f for f in found if f[0] == "ST101"]
    assert not server_errors, _server_error_cases(output)
    assert "Internal Server Error" not in output
    events = [json.loads(line) for p in tmp_path.rglob("*.ndjson") for line in p.open()]
    assert events, "schemathesis wrote no report"


def _server_error_cases(output: str) -> str:
    cases = [block for block in output.split("Test Case ID:") if "ST101" in block]
    return "\n---\n".join(block[:1500] for block in cases[:10])


def _findings(output: str) -> list[str]:
    """One line per (operation, check) that failed, from schemathesis' FAILURES section."""
    found: set[str] = set()
    operation = ""
    for line in output.splitlines():
        header = re.match(r"^_+ ((?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \S+) _+$", line)
        if header:
            operation = header.group(1)
            continue
        check = re.match(r"^- (ST\d+ [^:]+)$", line.strip())
        if check and operation:
            found.add(f"{check.group(1)}: {operation}")
    return sorted(found)
