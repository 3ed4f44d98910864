"""What every release act shares: the loaded policy and its stamp (rule id, policy version,
file SHA-256), the principal check, looking up the incident and its case, and the custody
event each change writes through ``custody.record`` in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sunlight.access import Permission, Principal, decide
from sunlight.errors import Forbidden, NotFound
from sunlight.evidence.custody import Action, record
from sunlight.incidents.models import Incident
from sunlight.release.models import CourtPetition, ReleaseCase
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
    session: Session, principal: Principal, permission: Permission, incident_id: int
) -> None:
    """Refuse unless the access policy grants ``permission`` on the incident."""
    if principal.kind == "system":
        return
    decision = decide(session, principal, permission, incident_id)
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
    record(
        session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        details=details,
        at=now,
    )
