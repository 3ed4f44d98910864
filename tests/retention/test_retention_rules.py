"""Retention: the longest rule wins, holds block, grace periods undo, tombstones remain."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from sunlight.evidence import service as evidence
from sunlight.evidence.custody import events_for
from sunlight.evidence.models import Recording
from sunlight.incidents import service as incidents
from sunlight.retention import service
from sunlight.retention.models import RetentionDeletion
from sunlight.retention.policy import PolicyError, load_policy
from sunlight.runtime import Runtime
from tests.retention.support import DAY_180, RECORDED, claiming_incident
from tests.support.evidence_data import add_officer, add_recording


def _close(runtime: Runtime, incident_id: int, on: date) -> None:
    with runtime.db.session() as session:
        incidents.set_investigation_status(
            session, incident_id, status="inactive", reason="not-pursued", on=on, actor="t:det"
        )


def _decision(runtime: Runtime, rec: int) -> service.Decision:
    with runtime.db.session() as session:
        found = service.decision_for(session, rec)
    assert found is not None
    return found


def test_longest_retention_wins(runtime: Runtime) -> None:
    unclaimed = add_recording(runtime, recorded_at=RECORDED)
    d = _decision(runtime, unclaimed)
    assert (d.rule, d.delete_on) == ("non-evidentiary", DAY_180)
    assert "no incident claims it" in d.why

    rec = add_recording(runtime, recorded_at=RECORDED)
    claiming_incident(runtime, "C-1", "non-evidentiary", rec)
    assert _decision(runtime, rec).delete_on == DAY_180
    arrest = claiming_incident(runtime, "C-2", "arrest", rec)
    d = _decision(runtime, rec)  # evidentiary, case still open: kept
    assert (d.rule, d.delete_on) == ("evidentiary", None)
    assert "investigation active" in d.why
    _close(runtime, arrest, date(2025, 3, 1))
    d = _decision(runtime, rec)
    assert (d.rule, d.delete_on) == ("evidentiary", date(2025, 3, 1) + timedelta(days=1095))
    assert {c.category for c in d.categories} == {"non-evidentiary", "evidentiary"}
    claiming_incident(runtime, "C-3", "officer-involved-shooting", rec)
    d = _decision(runtime, rec)
    assert (d.rule, d.delete_on) == ("officer-involved-shooting", None)
    assert d.why == "kept indefinitely"


def _run(runtime: Runtime, as_of: date, dry_run: bool = False) -> service.RunReport:
    return service.run(runtime, as_of=as_of, dry_run=dry_run, actor="test:retention")


def test_dry_run_then_grace_then_bytes_gone_and_tombstone_remains(runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=RECORDED)
    kept = add_recording(runtime, recorded_at=RECORDED + timedelta(days=100))
    with runtime.db.session() as session:
        sha = session.get(Recording, rec).sha256  # type: ignore[union-attr]
    assert _run(runtime, DAY_180 - timedelta(days=1), dry_run=True).to_schedule == []
    dry = _run(runtime, DAY_180, dry_run=True)
    assert [i["recording_id"] for i in dry.to_schedule] == [rec]
    assert dry.to_schedule[0]["rule"] == "non-evidentiary"
    with runtime.db.session() as session:
        assert session.query(RetentionDeletion).count() == 0  # a dry run changes nothing

    first = _run(runtime, DAY_180)
    assert [i["recording_id"] for i in first.to_schedule] == [rec]
    grace_end = DAY_180 + timedelta(days=30)
    assert first.to_schedule[0]["grace_until"] == grace_end.isoformat()
    assert runtime.store.exists(sha)
    during = _run(runtime, grace_end - timedelta(days=1))
    assert [i["recording_id"] for i in during.pending] == [rec] and during.to_delete == []
    assert _run(runtime, grace_end, dry_run=True).to_delete[0]["sha256"] == sha
    assert runtime.store.exists(sha)

    done = _run(runtime, grace_end)
    assert [i["recording_id"] for i in done.to_delete] == [rec] and done.errors == []
    assert not runtime.store.exists(sha)
    with runtime.db.session() as session:
        recording = session.get(Recording, rec)
        assert recording is not None and recording.deleted_at is not None
        assert recording.deletion_rule == "non-evidentiary"
        actions = [e.action for e in events_for(session, "recording", rec)]
        assert actions[-2:] == ["retention.scheduled", "retention.tombstone"]
        tombstone = events_for(session, "recording", rec)[-1]
        assert tombstone.details["sha256"] == sha
        assert tombstone.details["policy_version"] == 2
        with pytest.raises(evidence.ChangeRefused, match="deleted under the retention"):
            evidence.update_recording(session, rec, {"title": "x"}, actor="t", reason="r")
    assert runtime.store.exists(_sha(runtime, kept))
    later = _run(runtime, grace_end + timedelta(days=1))
    assert rec not in [i["recording_id"] for i in later.to_schedule + later.to_delete]


def _sha(runtime: Runtime, rec: int) -> str:
    with runtime.db.session() as session:
        recording = session.get(Recording, rec)
        assert recording is not None
        return recording.sha256


def test_deletion_in_grace_can_be_undone(runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=RECORDED)
    report = _run(runtime, DAY_180)
    deletion_id = report.to_schedule[0]["recording_id"]
    undone_at = datetime.combine(DAY_180 + timedelta(days=10), time(12), tzinfo=UTC)  # in grace
    with runtime.db.session() as session:
        deletion = service.list_deletions(session)[0]
        assert deletion.recording_id == deletion_id == rec
        with pytest.raises(evidence.InvalidChange, match="reason"):
            service.undo_deletion(session, deletion.id, actor="t:clerk", reason=" ", now=undone_at)
        service.undo_deletion(
            session, deletion.id, actor="t:clerk", reason="needed for IA case", now=undone_at
        )
    with runtime.db.session() as session:
        assert service.list_deletions(session, "undone")[0].closed_by == "t:clerk"
        assert [e.action for e in events_for(session, "recording", rec)][-1] == "retention.undone"
        with pytest.raises(evidence.InvalidChange, match="only a pending"):
            service.undo_deletion(
                session, deletion.id, actor="t:clerk", reason="again", now=undone_at
            )
    after = _run(runtime, DAY_180 + timedelta(days=31))
    assert after.to_delete == [] and after.to_schedule == []
    assert after.blocked[0]["blocked_by"] == "deletion undone recently"
    assert runtime.store.exists(_sha(runtime, rec))


def test_hold_blocks_deletion_even_during_grace(runtime: Runtime) -> None:
    held = add_recording(runtime, recorded_at=RECORDED)
    in_grace = add_recording(runtime, recorded_at=RECORDED)
    with runtime.db.session() as session:
        hold = service.place_hold(session, recording_id=held, reason="subpoena 26-114", actor="t")
        hold_id = hold.id
    report = _run(runtime, DAY_180)
    assert [i["recording_id"] for i in report.to_schedule] == [in_grace]
    assert report.blocked[0]["recording_id"] == held
    assert "legal hold" in report.blocked[0]["blocked_by"]
    # a hold placed on the incident during the grace period stops the deletion too
    incident_id = claiming_incident(runtime, "C-9", "non-evidentiary", in_grace)
    with runtime.db.session() as session:
        service.place_hold(session, incident_id=incident_id, reason="complaint 77", actor="t")
    end = _run(runtime, DAY_180 + timedelta(days=30))
    assert end.to_delete == []
    assert end.cancelled[0]["recording_id"] == in_grace
    assert "legal hold" in end.cancelled[0]["reason"]
    for rec in (held, in_grace):
        assert runtime.store.exists(_sha(runtime, rec))
    with runtime.db.session() as session:
        released_at = datetime.combine(DAY_180 + timedelta(days=30), time(12), tzinfo=UTC)
        service.release_hold(session, hold_id, actor="t", reason="case dismissed", now=released_at)
        assert [e.action for e in events_for(session, "recording", held)][-1] == "hold.release"
    released = _run(runtime, DAY_180 + timedelta(days=31))
    assert [i["recording_id"] for i in released.to_schedule] == [held]


def test_active_investigation_and_outside_custody_block_deletion(runtime: Runtime) -> None:
    officer = add_officer(runtime, "4417", "Dana Whitfield")
    rec = add_recording(runtime, recorded_at=RECORDED, officer_id=officer)
    incident_id = claiming_incident(runtime, "C-20", "non-evidentiary", rec)
    with runtime.db.session() as session:
        incidents.set_investigation_status(session, incident_id, status="active", actor="t")
    report = _run(runtime, DAY_180 + timedelta(days=1))
    assert report.to_schedule == []
    assert "investigation is active" in report.blocked[0]["blocked_by"]
    with runtime.db.session() as session:
        incidents.assign_to_agency(session, incident_id, actor="t", reason="OIS protocol")
    report = _run(runtime, DAY_180 + timedelta(days=1))
    assert "custody of Missouri Highway Patrol" in report.blocked[0]["blocked_by"]


def test_policy_is_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_policy()
    assert loaded.policy.category("non-evidentiary").keep_text == "180 days after recording"
    assert loaded.policy.category("homicide").keep_text == "indefinitely"
    text = loaded.text
    broken = tmp_path / "policy.yaml"
    broken.write_text(text.replace("incident_types: [homicide]", "incident_types: []"))
    with pytest.raises(PolicyError, match="without a retention category"):
        load_policy(broken)
    broken.write_text(text.replace("keep: {days: 180}", "keep: {days: -1}"))
    with pytest.raises(PolicyError, match="greater than or equal to 1"):
        load_policy(broken)
    broken.write_text(text.replace("grace_period_days: 30", "grace_period_days: 30\nsurprise: 1"))
    with pytest.raises(PolicyError, match="surprise"):
        load_policy(broken)
    monkeypatch.setenv("SUNLIGHT_RETENTION_POLICY", str(broken))
    from sunlight.runtime import start
    from tests.conftest import embedded_settings

    with pytest.raises(PolicyError):
        start(embedded_settings(tmp_path / "home"))


class _LockingStore:
    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.locks: dict[str, datetime] = {}

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def lock_object(self, sha256: str, until: datetime) -> None:
        self.locks[sha256] = until

    def locked_until(self, sha256: str) -> datetime | None:
        return self.locks.get(sha256)


def test_object_lock_for_held_and_evidentiary(
    embedded_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(load_policy().text.replace("enabled: false", "enabled: true"))
    monkeypatch.setenv("SUNLIGHT_RETENTION_POLICY", str(policy))
    runtime = embedded_runtime
    store = _LockingStore(runtime.store)
    runtime.store = store  # type: ignore[assignment]
    plain = add_recording(runtime, recorded_at=RECORDED)
    held = add_recording(runtime, recorded_at=RECORDED)
    shooting = add_recording(runtime, recorded_at=RECORDED)
    claiming_incident(runtime, "C-30", "officer-involved-shooting", shooting)
    with runtime.db.session() as session:
        service.place_hold(session, recording_id=held, reason="subpoena", actor="t")
    as_of = date(2025, 2, 1)
    report = _run(runtime, as_of)
    assert {i["recording_id"] for i in report.locked} == {held, shooting}
    assert _sha(runtime, plain) not in store.locks
    assert store.locks[_sha(runtime, held)] == datetime(2026, 2, 1, tzinfo=UTC)
    assert _run(runtime, as_of).locked == []  # already locked long enough
    with runtime.db.session() as session:
        assert [e.action for e in events_for(session, "recording", held)][-1] == "retention.lock"
