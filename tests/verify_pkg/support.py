"""A released recording, sealed into the log: what the verifier's tests check."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sunlight.ledger import checkpoints
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.release.support import make_inactive, scenario
from tests.support.auth import sign_in, sign_out


def released_copy(runtime: Runtime) -> tuple[int, int, int]:
    """A released redacted copy, sealed; returns (release id, derived id, original id)."""
    s = scenario(runtime, type="arrest", cad="KC26-000556", assign=False)
    make_inactive(runtime, s.incident_id)
    base = f"/api/incidents/{s.incident_id}/release"
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime, roles=("records-custodian",))
        client.post(base)
        candidate = client.post(f"{base}/candidates", json={"recording_id": s.derived_id}).json()[
            "candidates"
        ][0]
        client.post(f"{base}/candidates/{candidate['id']}/review", json={"plan_version": 2})
        client.post(f"{base}/state", json={"to": "ready"})
        case = client.post(
            f"{base}/decision", json={"action": "release", "candidate_ids": [candidate["id"]]}
        ).json()
        sign_out(client)
    checkpoints.seal_and_checkpoint(runtime)
    return case["releases"][0]["id"], s.derived_id, s.original_id
