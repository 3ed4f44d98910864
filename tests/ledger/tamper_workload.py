"""A realistic custody workload for the tamper suite: every kind of fact the audit replays.

Ingest (operator, camera holder and container dates, sidecar-style title and notes, an
unplayable file), a metadata change, flags set and cleared, derivatives, incidents
linked, unlinked and handed to outside agencies and back, an investigation closed, legal
holds placed and released, deletions scheduled, undone and carried out, and a redaction
plan in two versions rendered into a redacted copy, witnesses accepted and removed. All through the services, so every
change has its custody event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.release.support import person

from sunlight.access import tokens, users
from sunlight.access.models import Agency
from sunlight.access.principal import Principal
from sunlight.captions import service as captions
from sunlight.captions.vtt import Cue
from sunlight.db.base import utcnow
from sunlight.demo_policies import ensure_demo_policies, proposed_release_text
from sunlight.evidence import service as evidence
from sunlight.evidence import shares
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.evidence.models import Recording
from sunlight.incidents import service as incidents
from sunlight.ledger import checkpoints, witness_trust
from sunlight.ledger.verify import generate_witness_signer
from sunlight.media.synth import make_clip
from sunlight.policies import service as policies
from sunlight.redaction import service as redaction
from sunlight.redaction.plan import Plan
from sunlight.release import service as release
from sunlight.requests import service as requests
from sunlight.requests.models import RecordsRequest
from sunlight.requests.states import Status
from sunlight.retention import service as retention
from sunlight.runtime import Runtime

ACTOR = "test:clerk"
OLD = datetime(2026, 1, 10, 14, 0, tzinfo=UTC)  # long past the 180-day non-evidentiary rule


@dataclass
class Built:
    recordings: dict[str, int]
    incidents: dict[str, int]
    unsealed: int


def _ingest(runtime: Runtime, path: Path, **meta: object) -> int:
    result = ingest_file(
        runtime,
        path,
        IngestMetadata(original_filename=path.name, **meta),  # type: ignore[arg-type]
        actor=ACTOR,
        source="cli",
    )
    return result.recording_id


def _clip(folder: Path, name: str, seed: int, when: datetime | None = None) -> Path:
    return make_clip(
        folder / name,
        seconds=1.0,
        width=160,
        height=120,
        fps=10,
        audio=False,
        seed=seed,
        creation_time=when,
    )


def build(runtime: Runtime, folder: Path, *, today: date) -> Built:
    folder.mkdir(parents=True, exist_ok=True)
    with runtime.db.session() as s:
        a = evidence.create_officer(s, badge_number="4417", name="A. Able", unit="C", actor=ACTOR)
        b = evidence.create_officer(s, badge_number="5120", name="B. Baker", unit=None, actor=ACTOR)
        d1 = evidence.create_device(s, serial="BWC-1", vendor="V", model="M", actor=ACTOR)
        d2 = evidence.create_device(s, serial="BWC-2", vendor="V", model="M", actor=ACTOR)
        evidence.assign_device(
            s, device_id=d1.id, officer_id=a.id, at=OLD - timedelta(days=30), actor=ACTOR
        )
        officer_a, officer_b, dev1, dev2 = a.id, b.id, d1.id, d2.id
    rec = {
        "c1": _ingest(runtime, _clip(folder, "c1.mp4", 1), officer_badge="4417", recorded_at=OLD),
        "c2": _ingest(
            runtime, _clip(folder, "c2.mp4", 2, OLD + timedelta(hours=1)), device_serial="BWC-1"
        ),
        "c3": _ingest(
            runtime,
            _clip(folder, "c3.mp4", 3),
            recorded_at=OLD + timedelta(hours=2),
            title="Parking lot",
            notes="Sidecar notes",
        ),
        "c5": _ingest(runtime, _clip(folder, "c5.mp4", 5), recorded_at=today_at(today)),
        "c6": _ingest(runtime, _clip(folder, "c6.mp4", 6), recorded_at=OLD + timedelta(hours=3)),
    }
    junk = folder / "c4.mp4"
    junk.write_bytes(b"not a video at all " * 50)
    rec["c4"] = _ingest(runtime, junk, recorded_at=today_at(today))

    with runtime.db.session() as s:
        evidence.update_recording(
            s,
            rec["c1"],
            {
                "title": "Traffic stop, 5th St",
                "notes": "Corrected",
                "officer_id": officer_b,
                "device_id": dev2,
                "recorded_at": OLD + timedelta(minutes=5),
            },
            actor=ACTOR,
            reason="Officer's report",
        )
        evidence.flag_recording(s, rec["c2"], kind="review", reason="Audio gap", actor=ACTOR)
        flag = evidence.flag_recording(s, rec["c3"], kind="review", reason="Check", actor=ACTOR)
        evidence.clear_flag(s, rec["c3"], flag.id, actor=ACTOR, reason="Checked", now=utcnow())
        county = incidents.create_agency(
            s, name="County Prosecutor", short_name="CP", actor=ACTOR
        ).id
        del dev1
    with runtime.db.session() as s:
        i1 = incidents.create_incident(
            s,
            cad_number="CAD-1",
            type="traffic-stop",
            started_at=OLD - timedelta(minutes=5),
            ended_at=OLD + timedelta(minutes=40),
            officer_badges=["5120"],
            actor=ACTOR,
        ).id
        i2 = incidents.create_incident(
            s,
            cad_number="CAD-2",
            type="call-for-service",
            started_at=OLD,
            ended_at=OLD + timedelta(hours=4),
            actor=ACTOR,
            investigation_status="none",
        ).id
        i3 = incidents.create_incident(
            s,
            cad_number="CAD-3",
            type="officer-involved-shooting",
            started_at=OLD,
            ended_at=OLD + timedelta(hours=1),
            actor=ACTOR,
        ).id
        incidents.change_type(s, incidents.get_incident(s, i2), "non-evidentiary", actor=ACTOR)
        incidents.link_recording(s, i1, rec["c1"], actor=ACTOR)
        incidents.link_recording(s, i1, rec["c2"], actor=ACTOR, how="suggested")
        incidents.link_recording(s, i2, rec["c3"], actor=ACTOR)
        incidents.link_recording(s, i2, rec["c6"], actor=ACTOR)
        incidents.link_recording(s, i3, rec["c1"], actor=ACTOR)
    with runtime.db.session() as s:
        incidents.unlink_recording(s, i2, rec["c6"], actor=ACTOR, reason="Wrong incident")
        retention.place_hold(s, reason="Subpoena 12", actor=ACTOR, recording_id=rec["c2"])
        retention.place_hold(s, reason="Complaint 7", actor=ACTOR, incident_id=i1)
        hold = retention.place_hold(s, reason="Short hold", actor=ACTOR, recording_id=rec["c6"])
        retention.release_hold(s, hold.id, actor=ACTOR, reason="Resolved", now=utcnow())
        incidents.set_investigation_status(
            s, i1, status="inactive", reason="not-pursued", actor=ACTOR, today=today
        )
    with runtime.db.session() as s:
        incidents.assign_to_agency(s, i3, actor=ACTOR, reason="Shooting: MSHP investigates")
        incidents.assign_to_agency(s, i1, actor=ACTOR, reason="Complaint: MSHP reviews")
    with runtime.db.session() as s:
        incidents.return_custody(s, i1, actor=ACTOR, reason="Review done")
        incidents.assign_to_agency(
            s, i1, actor=ACTOR, reason="Prosecutor reviews", agency_id=county
        )
        incidents.assign_to_agency(s, i1, actor=ACTOR, reason="Back to MSHP")

    # Retention: c3 and c6 are non-evidentiary and past 180 days.
    retention.run(runtime, as_of=today, actor=ACTOR)
    with runtime.db.session() as s:
        pending = {d.recording_id: d.id for d in retention.list_deletions(s, "pending")}
        retention.undo_deletion(
            s, pending[rec["c6"]], actor=ACTOR, reason="Needed for a case", now=utcnow()
        )
    retention.run(runtime, as_of=today + timedelta(days=31), actor=ACTOR)

    # Redaction: two plan versions of c5, the second rendered into a redacted copy.
    with runtime.db.session() as s:
        c5 = s.get(Recording, rec["c5"])
        assert c5 is not None and c5.width and c5.height and c5.fps
        plan = Plan(
            recording_sha256=c5.sha256,
            width=c5.width,
            height=c5.height,
            fps=c5.fps,
            frame_count=round((c5.duration_s or 1.0) * c5.fps),
        )
    v1 = redaction.save_plan(runtime, rec["c5"], plan, actor=ACTOR, source="review")
    v2 = redaction.save_plan(
        runtime, rec["c5"], plan, actor=ACTOR, source="review", parent_id=v1.id, note="v2"
    )
    job = redaction.request_render(runtime, v2.id, actor=ACTOR)
    assert job.status == "done", job
    with runtime.db.session() as s:
        copy_id = s.scalar(select(Recording.id).where(Recording.ingest_source == "redaction"))
        assert copy_id is not None
        rec["copy"] = copy_id
    # Captions: the copy's approved after a correction; the original's left a draft.
    said = [Cue(0.0, 0.5, "Stop, police.")]
    captions.save_version(
        runtime, copy_id, [Cue(0.0, 0.5, "Stop.")], actor=ACTOR, source="staff", now=utcnow()
    )
    cap = captions.save_version(runtime, copy_id, said, actor=ACTOR, source="staff", now=utcnow())
    captions.approve(runtime, copy_id, version=cap.version, actor=ACTOR, now=utcnow())
    captions.save_version(runtime, rec["c5"], said, actor=ACTOR, source="import", now=utcnow())
    # Access: accounts with roles (one disabled, one re-roled), tokens (one revoked), shares
    # (to an agency, by link, a reshare, one revoked).
    with runtime.db.session() as s:
        dept = s.scalar(select(Agency.id).where(Agency.kind == "department"))
        prosecutor = s.scalar(select(Agency.id).where(Agency.kind == "prosecutor"))
        assert dept is not None and prosecutor is not None
        clerk = users.create_user(
            s,
            username="clerk",
            display_name="Records clerk",
            agency_id=dept,
            roles=["records-custodian"],
            unit="Records",
            actor=ACTOR,
        )
        able = users.create_user(
            s,
            username="able",
            display_name="A. Able",
            agency_id=dept,
            roles=["officer"],
            officer_id=officer_a,
            actor=ACTOR,
        )
        users.set_roles(s, able, ["officer", "supervisor"], actor=ACTOR)
        users.set_roles(s, clerk, ["records-custodian", "internal-affairs"], actor=ACTOR)
        users.set_roles(s, clerk, ["internal-affairs"], actor=ACTOR)
        gone = users.create_user(
            s, username="gone", display_name="Left", agency_id=dept, roles=["officer"], actor=ACTOR
        )
        users.disable_user(s, gone, actor=ACTOR)
        tokens.create_token(s, name="Dock 1", expires_days=None, actor=ACTOR, agency_id=dept)
        old_token, _ = tokens.create_token(
            s, name="Dock 2", permissions=["recording:upload", "device:view"], actor=ACTOR
        )
        tokens.revoke_token(s, old_token.id, actor=ACTOR)
        job = Principal.system("tamper-workload")
        shares.create_share(
            s,
            recording_id=rec["c1"],
            recipient="Jackson County Prosecutor",
            recipient_kind="prosecutor",
            agency_id=prosecutor,
            link=False,
            can_reshare=True,
            reason="Charging review",
            actor=job,
        )
        parent, _ = shares.create_share(
            s,
            recording_id=rec["c2"],
            recipient="Defence counsel",
            recipient_kind="defence",
            can_download=True,
            can_reshare=True,
            reason="Discovery",
            actor=job,
        )
        shares.create_share(
            s,
            recording_id=rec["c2"],
            recipient="Expert witness",
            recipient_kind="defence",
            parent_id=parent.id,
            reason="Expert review",
            actor=job,
        )
        revoked, _ = shares.create_share(
            s,
            recording_id=rec["c4"],
            recipient="Complainant",
            recipient_kind="complainant",
            reason="Complaint 7",
            actor=job,
        )
        shares.revoke_share(s, revoked.id, actor=job, reason="Sent in error")
    _records_requests(runtime)
    _release_cases(runtime, original_id=rec["c5"], copy_id=rec["copy"])
    # Witnesses: one accepted and later removed, one accepted and kept.
    _, dropped = generate_witness_signer("old.example/witness")
    _, kept = generate_witness_signer("news.example/witness")
    witness_trust.add_witness(runtime, dropped, actor=ACTOR, reason="Trial")
    witness_trust.add_witness(runtime, kept, actor=ACTOR, reason="Agreement with the Star")
    witness_trust.remove_witness(runtime, dropped, actor=ACTOR, reason="Trial over")
    _policies(runtime)
    checkpoints.seal_and_checkpoint(runtime)
    # An unsealed tail, as `sunlight ingest` or a web request leaves before the sealer runs.
    with runtime.db.session() as s:
        evidence.flag_recording(s, rec["c4"], kind="review", reason="Unsealed tail", actor=ACTOR)
        evidence.update_recording(
            s, rec["c4"], {"title": "Edited last"}, actor=ACTOR, reason="Typo"
        )
    return Built(rec, {"i1": i1, "i2": i2, "i3": i3}, unsealed=2)


def _records_requests(runtime: Runtime) -> None:
    """Requests in the states whose columns the replay checks: new; paused (one pause ended,
    one open); delayed with a fee estimate and prepayment; denied with written grounds."""
    at = OLD + timedelta(days=2)
    hour = timedelta(hours=1)

    def filed(s: Session, n: int) -> RecordsRequest:
        request, _ = requests.file_request(
            s,
            now=at + n * hour,
            name=f"Requester {n}",
            email=f"requester{n}@example.org",
            phone="816-555-0100" if n == 1 else None,
            requester_type="public",
            description=f"Footage of the stop on 5th Street, request {n}.",
        )
        return request

    with runtime.db.session() as s:
        filed(s, 1)
        r2 = filed(s, 2)
        requests.transition(
            s,
            r2,
            Status.CLARIFICATION_REQUESTED,
            actor=ACTOR,
            now=at + 3 * hour,
            message="Which day?",
        )
        requests.transition(s, r2, Status.IN_PROGRESS, actor=ACTOR, now=at + 5 * hour)
        requests.transition(
            s,
            r2,
            Status.CLARIFICATION_REQUESTED,
            actor=ACTOR,
            now=at + 7 * hour,
            message="Which camera?",
        )
        r3 = filed(s, 3)
        requests.transition(
            s,
            r3,
            Status.DELAYED,
            actor=ACTOR,
            now=at + 4 * hour,
            message="Forty hours of footage must be reviewed for redaction first.",
            available_at=at + timedelta(days=30),
        )
        requests.set_estimate(
            s,
            r3,
            search_hours=10,
            review_hours=40,
            recordings=6,
            prepayment=True,
            actor=ACTOR,
            now=at + 6 * hour,
        )
        requests.record_prepayment(s, r3, actor=ACTOR, now=at + 8 * hour, note="Check 1042")
        r4 = filed(s, 4)
        requests.transition(
            s,
            r4,
            Status.DENIED,
            actor=ACTOR,
            now=at + 5 * hour,
            provision="RSMo 610.100.2(1)",
            message="The investigation is active.",
        )
        requests.request_grounds(s, r4, actor="requester", now=at + 6 * hour)
        requests.give_grounds(
            s,
            r4,
            text="The recording is part of an active criminal investigation of the stop.",
            actor=ACTOR,
            now=at + 9 * hour,
        )


def _policies(runtime: Runtime) -> None:
    """The files in force recorded, a proposal with an approved and a rejected comment,
    adopted, and its file then in force (the old version superseded)."""
    ensure_demo_policies(runtime)
    now = utcnow()
    with runtime.db.session() as s:
        proposal = policies.open_proposal(s, "release")
        assert proposal is not None
        for comment in policies.comments(s, proposal.id, status=policies.PENDING):
            policies.moderate(
                s, comment.id, status=policies.REJECTED, response=None, actor=ACTOR, now=now
            )
        policies.decide(
            s, proposal, decision="adopt", reason="Families asked for it.", actor=ACTOR, now=now
        )
        assert proposal.effective_at is not None
        # the adopted file is the proposed one (its effective line included)
        checked = policies.check_text("release", proposed_release_text(proposal.effective_at))
        policies.store_adopted(s, checked, actor=ACTOR, now=now)


def _release_cases(runtime: Runtime, *, original_id: int, copy_id: int) -> None:
    """Two release cases over the redacted copy: one extended, released under an embargo
    that was first called off (a cancelled release), warned and published by the sweep; one
    withheld, then a court petition with a denial and an order with conditions."""
    custodian = person(runtime, 900, "records-custodian")
    at = OLD + timedelta(days=20)
    hour, day = timedelta(hours=1), timedelta(days=1)
    with runtime.db.session() as s:
        i4 = incidents.create_incident(
            s,
            cad_number="CAD-4",
            type="traffic-stop",
            started_at=at - day,
            ended_at=at - day + hour,
            actor=ACTOR,
            investigation_status="none",
        ).id
        i5 = incidents.create_incident(
            s,
            cad_number="CAD-5",
            type="call-for-service",
            started_at=at - day,
            ended_at=at - day + hour,
            actor=ACTOR,
            investigation_status="none",
        ).id
        incidents.link_recording(s, i4, original_id, actor=ACTOR)
        incidents.link_recording(s, i5, original_id, actor=ACTOR)
    with runtime.db.session() as s:
        release.open_case(s, i4, principal=custodian, now=at)
        candidate = release.add_candidate(s, i4, copy_id, principal=custodian, now=at + hour)
        release.review_candidate(
            s,
            candidate.id,
            principal=custodian,
            plan_version=2,
            note="faces and plates checked",
            now=at + 2 * hour,
        )
        release.extend(
            s,
            i4,
            principal=custodian,
            basis="The second camera's footage is still being reviewed for redaction.",
            estimated_release=(at + 40 * day).date(),
            now=at + 3 * hour,
        )
        release.move(s, i4, "ready", principal=custodian, now=at + 4 * hour)
        release.decide_release(
            s,
            i4,
            principal=custodian,
            candidate_ids=[candidate.id],
            embargo_until=at + 3 * day,
            now=at + 5 * hour,
        )
        release.move(s, i4, "in-review", principal=custodian, now=at + 6 * hour, reason="blur")
        release.move(s, i4, "ready", principal=custodian, now=at + 7 * hour)
        release.decide_release(
            s,
            i4,
            principal=custodian,
            candidate_ids=[candidate.id],
            embargo_until=at + 4 * day,
            now=at + 8 * hour,
        )
    release.sweep(runtime.db, at + 3 * day + 2 * hour)  # warns of the embargo lifting
    release.sweep(runtime.db, at + 4 * day)  # publishes
    with runtime.db.session() as s:
        release.open_case(s, i5, principal=custodian, now=at)
        release.add_candidate(s, i5, copy_id, principal=custodian, now=at + hour)
        release.withhold(
            s,
            i5,
            principal=custodian,
            statute="RSMo 610.100.2(3)",
            reason="Recorded inside a residence.",
            now=at + 2 * hour,
        )
        petition = release.file_petition(
            s,
            i5,
            principal=custodian,
            court="16th Judicial Circuit",
            case_number="2616-CV01234",
            petitioner="Kansas City Star",
            filed_on=(at + day).date(),
            now=at + day,
        )
        denied = release.record_order(
            s,
            petition.id,
            principal=custodian,
            outcome="deny",
            ordered_on=(at + 5 * day).date(),
            now=at + 5 * day,
        )
        # a second person confirms the first order; the second stays unconfirmed
        release.confirm_order(
            s,
            denied.id,
            principal=person(runtime, 901, "internal-affairs"),
            now=at + 5 * day + hour,
        )
        second = release.file_petition(
            s,
            i5,
            principal=custodian,
            court="16th Judicial Circuit",
            case_number="2616-CV01299",
            petitioner="A resident",
            filed_on=(at + 6 * day).date(),
            now=at + 6 * day,
        )
        release.record_order(
            s,
            second.id,
            principal=custodian,
            outcome="conditions",
            conditions="Faces of bystanders blurred; no audio.",
            ordered_on=(at + 9 * day).date(),
            now=at + 9 * day,
        )


def today_at(today: date) -> datetime:
    return datetime(today.year, today.month, today.day, 9, 0, tzinfo=UTC)
