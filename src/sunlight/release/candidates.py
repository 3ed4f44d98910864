"""Release candidates: propose a redacted copy (naming its exact plan version), a reviewer's
sign-off of that version, and which reviewed candidates may be released (policy exclusions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal
from sunlight.errors import InvalidChange, NotFound
from sunlight.evidence.custody import Action
from sunlight.evidence.models import RecordingFlag
from sunlight.incidents.models import IncidentRecording
from sunlight.redaction.models import RedactionJob, RedactionPlan
from sunlight.release import states
from sunlight.release.common import authorize, custody_event, get_case, loaded_policy
from sunlight.release.models import ReleaseCandidate, ReleaseCase
from sunlight.release.states import InvalidReleaseChange


def add_candidate(
    session: Session,
    incident_id: int,
    derived_recording_id: int,
    *,
    principal: Principal,
    now: datetime,
) -> ReleaseCandidate:
    """Propose a redacted copy for release: the derived recording of a finished render job
    whose original is linked to the incident. The candidate names the exact plan version."""
    case = get_case(session, incident_id)
    authorize(session, principal, Permission.RELEASE_PREPARE, incident_id, now=now)
    if case.state not in (states.CLOSED, states.IN_REVIEW):
        raise InvalidReleaseChange(
            f"candidates are added while the case is closed or in review; it is {case.state}"
        )
    job = session.scalar(
        select(RedactionJob)
        .where(
            RedactionJob.result_recording_id == derived_recording_id,
            RedactionJob.kind == "render",
            RedactionJob.status == "done",
        )
        .order_by(RedactionJob.id)
        .limit(1)
    )
    if job is None or job.plan_id is None:
        raise InvalidChange(
            f"recording {derived_recording_id} is not a redacted copy (no finished render job "
            "produced it): only redacted copies are released"
        )
    linked = session.scalar(
        select(IncidentRecording.id).where(
            IncidentRecording.incident_id == incident_id,
            IncidentRecording.recording_id == job.recording_id,
        )
    )
    if linked is None:
        raise InvalidChange(
            f"the original of recording {derived_recording_id} (recording {job.recording_id}) "
            f"is not linked to incident {incident_id}"
        )
    if any(c.derived_recording_id == derived_recording_id for c in case.candidates):
        raise InvalidChange(f"recording {derived_recording_id} is already a candidate")
    plan = session.get(RedactionPlan, job.plan_id)
    assert plan is not None
    details = dict(job.details or {})
    candidate = ReleaseCandidate(
        case_id=case.id,
        derived_recording_id=derived_recording_id,
        original_recording_id=job.recording_id,
        job_id=job.id,
        plan_id=plan.id,
        plan_version=plan.version,
        plan_sha256=plan.sha256,
        provenance={
            "parent_recording_id": job.recording_id,
            "sha256": details.get("sha256"),
            "c2pa": details.get("c2pa") or {"signed": False},
        },
        added_at=now,
        added_by=principal.id,
    )
    session.add(candidate)
    session.flush()
    custody_event(
        session,
        actor=principal.id,
        action=Action.RELEASE_CANDIDATE,
        object_type="recording",
        object_id=derived_recording_id,
        now=now,
        details={
            "case_id": case.id,
            "incident_id": incident_id,
            "candidate_id": candidate.id,
            "original_recording_id": job.recording_id,
            "plan_id": plan.id,
            "plan_version": plan.version,
            "plan_sha256": plan.sha256,
        },
    )
    return candidate


def candidate_of(session: Session, candidate_id: int) -> tuple[ReleaseCandidate, ReleaseCase]:
    candidate = session.get(ReleaseCandidate, candidate_id)
    if candidate is None:
        raise NotFound(f"no release candidate {candidate_id}")
    case = session.get(ReleaseCase, candidate.case_id)
    assert case is not None
    return candidate, case


def review_candidate(
    session: Session,
    candidate_id: int,
    *,
    principal: Principal,
    plan_version: int,
    note: str | None,
    now: datetime,
) -> ReleaseCandidate:
    """A reviewer signs off the candidate's exact redaction plan version (a custody event
    on the redacted copy). Signing off another version than the copy's is refused."""
    candidate, case = candidate_of(session, candidate_id)
    authorize(session, principal, Permission.RELEASE_REVIEW, case.incident_id, now=now)
    if plan_version != candidate.plan_version:
        raise InvalidChange(
            f"recording {candidate.derived_recording_id} was rendered from plan version "
            f"{candidate.plan_version}, not {plan_version}: review the version it shows"
        )
    if candidate.reviewed_at is not None:
        raise InvalidChange(
            f"candidate {candidate_id} was already reviewed by {candidate.reviewed_by}"
        )
    candidate.reviewed_at, candidate.reviewed_by = now, principal.id
    candidate.review_note = (note or "").strip() or None
    custody_event(
        session,
        actor=principal.id,
        action=Action.RELEASE_REVIEW,
        object_type="recording",
        object_id=candidate.derived_recording_id,
        now=now,
        reason=candidate.review_note,
        details={
            "case_id": case.id,
            "candidate_id": candidate.id,
            "plan_id": candidate.plan_id,
            "plan_version": candidate.plan_version,
            "plan_sha256": candidate.plan_sha256,
            "sha256": candidate.provenance.get("sha256"),
        },
    )
    session.flush()
    return candidate


def exclusions(session: Session, recording_id: int) -> list[str]:
    """Why the release policy keeps this original's footage from a public release by
    default (nonpublic location; vulnerable people), from its active flags."""
    policy = loaded_policy().policy
    kinds = set(
        session.scalars(
            select(RecordingFlag.kind).where(
                RecordingFlag.recording_id == recording_id, RecordingFlag.cleared_at.is_(None)
            )
        )
    )
    found = []
    if policy.nonpublic_locations.closed_by_default and kinds & set(
        policy.nonpublic_locations.flag_kinds
    ):
        found.append(
            f"made in a nonpublic location: closed by default ({policy.nonpublic_locations.basis})"
            "; a court order opens it"
        )
    if policy.vulnerable_people.excluded_by_default and kinds & set(
        policy.vulnerable_people.flag_kinds
    ):
        found.append(
            f"depicts vulnerable people: excluded from release by default "
            f"({policy.vulnerable_people.basis}); a court order opens it"
        )
    return found


def releasable(
    session: Session, case: ReleaseCase, candidate_ids: list[int], *, court: bool
) -> list[ReleaseCandidate]:
    if not candidate_ids:
        raise InvalidChange("name the reviewed candidates to release")
    chosen = []
    by_id = {c.id: c for c in case.candidates}
    for cid in dict.fromkeys(candidate_ids):
        candidate = by_id.get(cid)
        if candidate is None:
            raise NotFound(f"no candidate {cid} in this release case")
        if candidate.reviewed_at is None:
            raise InvalidChange(
                f"recording {candidate.derived_recording_id} has not been reviewed: footage "
                f"never reviewed cannot be released (sign off plan version "
                f"{candidate.plan_version} first)"
            )
        if not court:
            blocked = exclusions(session, candidate.original_recording_id)
            if blocked:
                raise InvalidChange(
                    f"recording {candidate.original_recording_id}: " + "; ".join(blocked)
                )
        chosen.append(candidate)
    return chosen
