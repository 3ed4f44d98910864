"""The release authority's decisions: release reviewed candidates now or at an embargo time,
extend the clock with a written basis, and the serve schedule's embargo sweep (warn staff
before, publish when the embargo lifts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal
from sunlight.captions import readiness as captions_readiness
from sunlight.db.engine import Database
from sunlight.errors import InvalidChange
from sunlight.evidence.custody import Action
from sunlight.notify.outbox import enqueue
from sunlight.release import states
from sunlight.release.candidates import releasable
from sunlight.release.cases import transition
from sunlight.release.common import (
    authorize,
    custody_event,
    get_case,
    load_incident,
    loaded_policy,
    policy_stamp,
    utc,
)
from sunlight.release.models import Release, ReleaseCandidate, ReleaseCase, ReleaseExtension
from sunlight.release.states import InvalidReleaseChange

#: The serve schedule's sweep acts under this name.
SWEEP_ACTOR = Principal.system("release").id
MIN_BASIS_CHARS = 20


def publish(
    session: Session, release: Release, incident_id: int, *, actor: str, now: datetime
) -> None:
    release.released_at = now
    custody_event(
        session,
        actor=actor,
        action=Action.RELEASE_PUBLISH,
        object_type="recording",
        object_id=release.derived_recording_id,
        now=now,
        details={
            "release_id": release.id,
            "case_id": release.case_id,
            "incident_id": incident_id,
            "original_recording_id": release.original_recording_id,
            "rule_id": release.rule_id,
            "policy_version": release.policy_version,
            "policy_sha256": release.policy_sha256,
        },
    )


def _require_captions(session: Session, chosen: list[ReleaseCandidate]) -> None:
    """Refuse the release unless every chosen copy's captions are approved (the release
    policy's ``require_approved_captions``), naming each copy's missing captions."""
    problems = [
        found
        for candidate in chosen
        if (found := captions_readiness.missing(session, candidate.derived_recording_id))
    ]
    if problems:
        raise InvalidChange(
            "captions must be approved before release (release policy: "
            "require_approved_captions): " + "; ".join(problems),
            diagnostics={"captions": problems},
        )


def decide_release(
    session: Session,
    incident_id: int,
    *,
    principal: Principal,
    candidate_ids: list[int],
    now: datetime,
    embargo_until: datetime | None = None,
    reason: str | None = None,
) -> list[Release]:
    """The authority releases reviewed candidates, now or when an embargo lifts (the
    serve schedule's sweep publishes them then, and warns staff before)."""
    case = get_case(session, incident_id)
    incident = load_incident(session, incident_id)
    states.check(case.state, states.RELEASED)
    authorize(session, principal, Permission.RELEASE_DECIDE, incident_id, now=now)
    if any(r.released_at is None and r.cancelled_at is None for r in case.releases):
        raise InvalidChange("a release of this case is already scheduled (embargoed)")
    chosen = releasable(session, case, candidate_ids, court=False)
    if embargo_until is not None and utc(embargo_until) <= now:
        raise InvalidChange("an embargo ends in the future; release now instead")
    loaded = loaded_policy()
    if loaded.policy.require_approved_captions:
        _require_captions(session, chosen)
    stamp = policy_stamp(loaded, loaded.policy.rule_for(incident.type))
    when = utc(embargo_until) if embargo_until is not None else now
    made = []
    for candidate in chosen:
        release = Release(
            case_id=case.id,
            candidate_id=candidate.id,
            derived_recording_id=candidate.derived_recording_id,
            original_recording_id=candidate.original_recording_id,
            decided_at=now,
            decided_by=principal.id,
            scheduled_for=when,
            public=True,
            **stamp,
        )
        session.add(release)
        made.append(release)
    session.flush()
    custody_event(
        session,
        actor=principal.id,
        action=Action.RELEASE_DECISION,
        object_type="incident",
        object_id=incident_id,
        now=now,
        reason=reason,
        details={
            "case_id": case.id,
            "decision": "release",
            "release_ids": [r.id for r in made],
            "embargo_until": when.isoformat() if embargo_until is not None else None,
            **stamp,
        },
    )
    if embargo_until is None:
        for release in made:
            publish(session, release, incident_id, actor=principal.id, now=now)
        transition(
            session, case, incident, states.RELEASED, actor=principal.id, now=now, reason=reason
        )
    return made


# -- extensions ------------------------------------------------------------------------


def extend(
    session: Session,
    incident_id: int,
    *,
    principal: Principal,
    basis: str,
    estimated_release: date | None,
    now: datetime,
) -> ReleaseExtension:
    """One extension step of the release clock: a written, specific basis and an estimated
    release date are both required; the steps together never pass the policy's cap."""
    case = get_case(session, incident_id)
    incident = load_incident(session, incident_id)
    authorize(session, principal, Permission.RELEASE_DECIDE, incident_id, now=now)
    if case.state in states.FINAL or case.state == states.WITHHELD:
        raise InvalidReleaseChange(f"the case is {case.state}: its clock no longer runs")
    basis = " ".join((basis or "").split())
    if len(basis) < MIN_BASIS_CHARS:
        raise InvalidChange(
            f"an extension needs a written, specific basis (at least {MIN_BASIS_CHARS} "
            "characters saying why this footage cannot be released yet)"
        )
    if estimated_release is None:
        raise InvalidChange("an extension needs the estimated release date")
    loaded = loaded_policy()
    policy = loaded.policy
    rule = policy.rule_for(incident.type)
    step = policy.extensions.step_days
    used = sum(e.days for e in case.extensions)
    if used + step > policy.extensions.max_total_days:
        raise InvalidChange(
            f"extensions are capped at {policy.extensions.max_total_days} days in all; "
            f"{used} days are already granted"
        )
    due = utc(incident.started_at) + timedelta(days=rule.release_days + used + step)
    if estimated_release <= now.date():
        raise InvalidChange("the estimated release date must be in the future")
    if estimated_release > due.date():
        raise InvalidChange(
            f"the estimated release date {estimated_release} is after the extended due date "
            f"{due.date()}"
        )
    extension = ReleaseExtension(
        case_id=case.id,
        days=step,
        basis=basis,
        estimated_release=estimated_release,
        at=now,
        actor=principal.id,
        **policy_stamp(loaded, rule),
    )
    session.add(extension)
    session.flush()
    custody_event(
        session,
        actor=principal.id,
        action=Action.RELEASE_EXTENSION,
        object_type="incident",
        object_id=incident_id,
        now=now,
        reason=basis,
        details={
            "case_id": case.id,
            "days": step,
            "estimated_release": estimated_release.isoformat(),
            "due": due.isoformat(),
            **policy_stamp(loaded, rule),
        },
    )
    session.refresh(case)
    return extension


# -- the serve schedule's sweep: embargoes ----------------------------------------------


@dataclass
class SweepReport:
    warned: list[int]
    released: list[int]


def warn_staff(
    session: Session, *, to: list[str], subject: str, body: str, topic: str, now: datetime
) -> None:
    """Warn staff through the durable email outbox (in the caller's transaction: the
    messages exist iff the sweep's changes commit; sending and retrying is the outbox's)."""
    for address in to:
        enqueue(session, to=address, subject=subject, body=body, topic=topic, now=now)


def sweep(db: Database, now: datetime) -> SweepReport:
    """Warn staff before embargoes lift (policy: hours before) and publish the releases
    whose embargo has lifted. Idempotent: each release is warned and published once."""
    policy = loaded_policy().policy
    report = SweepReport([], [])
    warn_before = timedelta(hours=policy.embargo.warning_hours)
    with db.session() as session:
        waiting = list(
            session.scalars(
                select(Release)
                .where(
                    Release.released_at.is_(None),
                    Release.cancelled_at.is_(None),
                    Release.scheduled_for <= now + warn_before,
                )
                .order_by(Release.scheduled_for, Release.id)
            )
        )
        for release in waiting:
            case = session.get(ReleaseCase, release.case_id)
            assert case is not None
            at = utc(release.scheduled_for)
            if release.warned_at is None and at > now:
                subject = f"Embargo lifts {at.isoformat()}: release {release.id}"
                body = (
                    f"Release {release.id} of recording {release.derived_recording_id} "
                    f"(incident {case.incident_id}) becomes public at {at.isoformat()}."
                )
                warn_staff(
                    session,
                    to=policy.embargo.notify,
                    subject=subject,
                    body=body,
                    topic=f"incident:{case.incident_id}",
                    now=now,
                )
                release.warned_at = now
                custody_event(
                    session,
                    actor=SWEEP_ACTOR,
                    action=Action.RELEASE_EMBARGO_WARNING,
                    object_type="incident",
                    object_id=case.incident_id,
                    now=now,
                    details={
                        "release_id": release.id,
                        "embargo_until": at.isoformat(),
                        "to": list(policy.embargo.notify),
                    },
                )
                report.warned.append(release.id)
            if at <= now:
                publish(session, release, case.incident_id, actor=SWEEP_ACTOR, now=now)
                report.released.append(release.id)
        for release in waiting:
            if release.id not in report.released:
                continue
            case = session.get(ReleaseCase, release.case_id)
            assert case is not None
            if case.state == states.READY:
                incident = load_incident(session, case.incident_id)
                transition(
                    session,
                    case,
                    incident,
                    states.RELEASED,
                    actor=SWEEP_ACTOR,
                    now=now,
                    reason="embargo lifted",
                )
    return report
