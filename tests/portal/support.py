"""A release taken through the staff API to a decision, for the public portal's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sunlight.ledger import checkpoints
from sunlight.runtime import Runtime
from tests.release.support import make_inactive, scenario
from tests.support.auth import sign_in, sign_in_outside, sign_out


@dataclass
class Released:
    release_id: int
    incident_id: int
    derived_id: int
    original_id: int


def decide(
    runtime: Runtime,
    client: Any,
    *,
    cad: str,
    type: str = "officer-involved-shooting",
    embargo_until: str | None = None,
    seal: bool = True,
) -> Released:
    """Custodian prepares and reviews; MSHP releases (or embargoes); the log is sealed."""
    s = scenario(runtime, type=type, cad=cad)
    make_inactive(runtime, s.incident_id)
    base = f"/api/incidents/{s.incident_id}/release"
    sign_in(client, runtime, roles=("records-custodian",))
    assert client.post(base).status_code == 201
    case = client.post(f"{base}/candidates", json={"recording_id": s.derived_id}).json()
    candidate = case["candidates"][0]["id"]
    client.post(f"{base}/candidates/{candidate}/review", json={"plan_version": 2})
    assert client.post(f"{base}/state", json={"to": "ready"}).status_code == 200
    sign_out(client)
    sign_in_outside(client, runtime)
    body: dict[str, Any] = {"action": "release", "candidate_ids": [candidate]}
    if embargo_until:
        body["embargo_until"] = embargo_until
    decided = client.post(f"{base}/decision", json=body)
    assert decided.status_code == 200, decided.text
    sign_out(client)
    if seal:
        checkpoints.seal_and_checkpoint(runtime)
    return Released(decided.json()["releases"][0]["id"], s.incident_id, s.derived_id, s.original_id)
