"""What every release act shares: the loaded policy and its stamp (rule id, policy version,
file SHA-256), the principal check, looking up the incident and its case, and the custody
event each change writes through ``custody.record`` in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sunlight.access import Permission, Principal, decide
from sunlight.errors import Forbidden, NotFound
from sunlight.evidence.custody import Action, record
from sunlight.incidents.models import Incident
from sunlight.release.models import (
    CourtOrder,
    CourtPetition,
    Release,
    ReleaseCandidate,
    ReleaseCase,
    ReleaseExtension,
    ReleaseTransition,
)
from sunlight.release.policy import LoadedReleasePolicy, ReleaseRule, load_release_policy


def utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def loaded_policy() -> LoadedReleasePolicy:
    return load_release_policy()


def policy_stamp(loaded: LoadedReleasePolicy, rule: ReleaseRule) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "policy_version": loaded.policy.version,
        "policy_sha256": loaded.sha256,
    }


def authorize(
    session: Session,
    principal: Principal,
    permission: Permission,
    incident_id: int,
    *,
    now: datetime,
) -> None:
    """Refuse unless the access policy grants ``permission`` on the incident at ``now``."""
    if principal.kind == "system":
        return
    decision = decide(session, principal, permission, incident_id, now=now)
    if not decision.allowed:
        raise Forbidden(
            f"{decision.reason} (rule: {decision.rule})",
            diagnostics={"rule": decision.rule, "permission": str(permission)},
        )


def load_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id, options=[selectinload(Incident.agency)])
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def case_for(session: Session, incident_id: int) -> ReleaseCase | None:
    return session.scalar(
        select(ReleaseCase)
        .where(ReleaseCase.incident_id == incident_id)
        .options(
            selectinload(ReleaseCase.transitions),
            selectinload(ReleaseCase.extensions),
            selectinload(ReleaseCase.candidates),
            selectinload(ReleaseCase.releases),
            selectinload(ReleaseCase.petitions).selectinload(CourtPetition.orders),
        )
    )


def get_case(session: Session, incident_id: int) -> ReleaseCase:
    case = case_for(session, incident_id)
    if case is None:
        raise NotFound(f"incident {incident_id} has no release case")
    return case


def custody_event(
    session: Session,
    *,
    actor: str,
    action: Action,
    object_type: str,
    object_id: int,
    now: datetime,
    reason: str | None = None,
    details: dict[str, Any],
) -> None:
    case_id = details.get("case_id")
    if not isinstance(case_id, int) and isinstance(details.get("release_id"), int):
        found = session.get(Release, details["release_id"])
        case_id = found.case_id if found is not None else None
    facts = case_facts(session, case_id) if isinstance(case_id, int) else None
    record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        # The custody log's own time is the wall clock (an event dated by a caller's clock
        # would read as backdated behind later events); the act's time is in the details.
        details={**details, "at": now.isoformat()}
        | ({} if facts is None else {"case_facts": facts}),
    )


#: What each release event states about its case's rows, as they stand after it, so the
#: replay audit finds a state, a review, an embargo date or a publication changed in the
#: database by hand (``sunlight.release.replay``).
CASE_FACTS: dict[str, tuple[str, ...]] = {
    "release_cases": (
        "incident_id",
        "state",
        "rule_id",
        "policy_version",
        "policy_sha256",
        "opened_at",
        "opened_by",
        "withheld_statute",
        "withheld_reason",
    ),
    "release_transitions": (
        "case_id",
        "from_state",
        "to_state",
        "at",
        "actor",
        "reason",
        "statute",
        "rule_id",
    ),
    "release_extensions": ("case_id", "days", "basis", "estimated_release", "at", "actor"),
    "release_candidates": (
        "case_id",
        "derived_recording_id",
        "original_recording_id",
        "plan_id",
        "plan_version",
        "plan_sha256",
        "added_by",
        "reviewed_at",
        "reviewed_by",
    ),
    "releases": (
        "case_id",
        "candidate_id",
        "derived_recording_id",
        "original_recording_id",
        "decided_at",
        "decided_by",
        "scheduled_for",
        "warned_at",
        "released_at",
        "cancelled_at",
        "public",
        "court_order_id",
    ),
    "court_petitions": ("case_id", "court", "case_number", "petitioner", "filed_on"),
    "court_orders": (
        "petition_id",
        "outcome",
        "conditions",
        "ordered_on",
        "recorded_by",
        "candidate_ids",
        "confirmed_at",
        "confirmed_by",
    ),
}

_FACT_MODELS: dict[str, type[Any]] = {
    "release_cases": ReleaseCase,
    "release_transitions": ReleaseTransition,
    "release_extensions": ReleaseExtension,
    "release_candidates": ReleaseCandidate,
    "releases": Release,
    "court_petitions": CourtPetition,
    "court_orders": CourtOrder,
}


def _fact(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def case_facts(session: Session, case_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of the case (and of its releases, reviews, extensions and court papers)
    with the columns the replay checks, keyed by table."""
    session.flush()
    facts: dict[str, list[dict[str, Any]]] = {}
    petitions = select(CourtPetition.id).where(CourtPetition.case_id == case_id)
    for table, columns in CASE_FACTS.items():
        model = _FACT_MODELS[table]
        if table == "release_cases":
            where = model.id == case_id
        elif table == "court_orders":
            where = model.petition_id.in_(petitions)
        else:
            where = model.case_id == case_id
        facts[table] = [
            {"id": row.id, **{c: _fact(getattr(row, c)) for c in columns}}
            for row in session.scalars(select(model).where(where).order_by(model.id))
        ]
    return facts
