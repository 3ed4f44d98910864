"""A published policy taking effect is a custody event with its SHA-256, once per version."""

from __future__ import annotations

from sqlalchemy import select

from sunlight.cli.policies import policies_in_force
from sunlight.evidence.models import CustodyEvent
from sunlight.evidence.policies import PolicyInForce, last_adopted, record_adoptions
from sunlight.runtime import Runtime


def test_each_policy_version_is_recorded_once(runtime: Runtime) -> None:
    in_force = policies_in_force()
    assert [p.name for p in in_force] == [
        "access",
        "retention",
        "compliance",
        "release",
        "holidays",
        "fees",
    ]
    with runtime.db.session() as session:
        assert record_adoptions(session, in_force, actor="system:serve") == [
            "access",
            "retention",
            "compliance",
            "release",
            "holidays",
            "fees",
        ]
    with runtime.db.session() as session:
        assert record_adoptions(session, in_force, actor="system:serve") == []
    changed = PolicyInForce("access", "2027-01-01.1", "ab" * 32)
    with runtime.db.session() as session:
        assert record_adoptions(session, [changed], actor="system:serve") == ["access"]
    with runtime.db.session(read_only=True) as session:
        assert last_adopted(session, "access") == "ab" * 32
        events = session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.object_type == "policy", CustodyEvent.object_id == "access")
            .order_by(CustodyEvent.id)
        ).all()
    assert [e.details["sha256"] for e in events] == [in_force[0].sha256, "ab" * 32]
    assert events[1].details["replaces"] == in_force[0].sha256
    assert events[1].details["version"] == "2027-01-01.1"
