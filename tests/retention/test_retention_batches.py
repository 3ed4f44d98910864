"""The retention and compliance passes work in batches and give the same answer as one batch."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sunlight.compliance import service as compliance
from sunlight.incidents import service as incidents
from sunlight.retention import service
from sunlight.retention.policy import load_policy
from sunlight.runtime import Runtime
from tests.retention.support import DAY_180, RECORDED, claiming_incident
from tests.support.evidence_data import add_officer, add_recording

ONE_BATCH = 10_000
#: When the clerk undoes a deletion: ten days into its grace period.
UNDONE_AT = datetime.combine(DAY_180 + timedelta(days=10), time(12), tzinfo=UTC)


def _archive(runtime: Runtime) -> list[int]:
    """Ten recordings: six that the schedule lets go, one too recent, one on hold, one kept
    for an active arrest case and one due but blocked by an active investigation."""
    recs = [add_recording(runtime, recorded_at=RECORDED + timedelta(minutes=i)) for i in range(6)]
    recs.append(add_recording(runtime, recorded_at=RECORDED + timedelta(days=150)))
    held = add_recording(runtime, recorded_at=RECORDED)
    with runtime.db.session() as session:
        service.place_hold(session, recording_id=held, reason="subpoena 26-9", actor="t")
    arrest = add_recording(runtime, recorded_at=RECORDED)
    claiming_incident(runtime, "B-1", "arrest", arrest)
    blocked = add_recording(runtime, recorded_at=RECORDED)
    incident_id = claiming_incident(runtime, "B-2", "non-evidentiary", blocked)
    with runtime.db.session() as session:
        incidents.set_investigation_status(session, incident_id, status="active", actor="t")
    return [*recs, held, arrest, blocked]


def _dry(runtime: Runtime, as_of: Any, batch_size: int) -> dict[str, Any]:
    return service.run(
        runtime, as_of=as_of, dry_run=True, actor="test:retention", batch_size=batch_size
    ).to_dict()


def _outcome(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("dry_run", "errors", "locked")}


def test_batches_of_three_give_the_same_run_as_one_batch(runtime: Runtime) -> None:
    recs = _archive(runtime)
    loaded = load_policy()
    with runtime.db.session() as session:
        batches = list(service.iter_decisions(session, loaded, batch_size=3))
        assert [len(b) for b in batches] == [3, 3, 3, 1]
        assert [d for b in batches for d in b] == service.evaluate(session, loaded)
        assert [d.recording_id for b in batches for d in b] == recs

    for day in (DAY_180 - timedelta(days=1), DAY_180):
        assert _dry(runtime, day, 3) == _dry(runtime, day, ONE_BATCH)
    predicted = _dry(runtime, DAY_180, ONE_BATCH)
    assert [i["recording_id"] for i in predicted["to_schedule"]] == recs[:6]
    assert [i["recording_id"] for i in predicted["blocked"]] == [recs[7], recs[9]]
    assert predicted["kept"] == 2

    first = service.run(
        runtime, as_of=DAY_180, actor="test:retention", batch_size=3, write_batch=2
    ).to_dict()
    assert _outcome(first) == _outcome(predicted)
    with runtime.db.session() as session:  # one undone: blocked on the next runs
        undone = next(d for d in service.list_deletions(session) if d.recording_id == recs[0])
        service.undo_deletion(session, undone.id, actor="t:clerk", reason="IA case", now=UNDONE_AT)

    grace_end = DAY_180 + timedelta(days=30)
    for day in (grace_end - timedelta(days=1), grace_end):
        assert _dry(runtime, day, 3) == _dry(runtime, day, ONE_BATCH)
    predicted = _dry(runtime, grace_end, ONE_BATCH)
    assert sorted(i["recording_id"] for i in predicted["to_delete"]) == recs[1:6]
    done = service.run(
        runtime, as_of=grace_end, actor="test:retention", batch_size=3, write_batch=2
    ).to_dict()
    assert _outcome(done) == _outcome(predicted) and done["errors"] == []
    assert [i["recording_id"] for i in done["blocked"]] == [recs[0], recs[7], recs[9]]
    after = _dry(runtime, grace_end + timedelta(days=1), 3)
    assert after == _dry(runtime, grace_end + timedelta(days=1), ONE_BATCH)
    assert after["to_delete"] == [] and after["pending"] == []


def test_compliance_report_in_batches_of_three_matches_one_batch(runtime: Runtime) -> None:
    day = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    officers = [
        add_officer(runtime, f"70{i}", f"Officer {i}", ["North", None][i % 2]) for i in range(3)
    ]
    recs = []
    for i in range(10):
        recs.append(
            add_recording(
                runtime,
                officer_id=officers[i % 3],
                recorded_at=day + timedelta(days=i, minutes=i),
                ingested_at=day + timedelta(days=i + (4 if i % 4 == 0 else 0), hours=1),
            )
        )
    # several recordings made at the same instant: the keyset must not skip or repeat any
    recs += [add_recording(runtime, recorded_at=day + timedelta(days=2)) for _ in range(4)]
    with runtime.db.session() as session:
        for i in range(5):
            incident = incidents.create_incident(
                session,
                cad_number=f"M-{i}",
                type="arrest" if i % 2 else "traffic-stop",
                started_at=day + timedelta(days=2 * i),
                ended_at=day + timedelta(days=2 * i, minutes=30),
                officer_badges=[f"70{i % 3}", f"70{(i + 1) % 3}"],
                unit="North",
                actor="test:cad",
            )
            if i % 2:
                incidents.link_recording(session, incident.id, recs[2 * i], actor="t")
    month = compliance.Month(2026, 5)
    with runtime.db.session() as session:
        whole = compliance.report(session, month, batch_size=ONE_BATCH)
        assert compliance.report(session, month, batch_size=3) == whole
    assert whole["totals"]["recordings"] == 14
    assert whole["totals"]["late_uploads"] == 3
    assert whole["totals"]["incidents"] == 5
    assert [i["recording_id"] for i in whole["uncategorised"]] == sorted(
        set(recs) - {recs[2], recs[6]}
    )
