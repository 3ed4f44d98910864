"""The investigation status that RSMo 610.100 makes decisive for release: a state machine
with statutory reasons, each change a custody event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from sunlight.evidence.custody import Action, record
from sunlight.evidence.service import InvalidChange
from sunlight.incidents.models import Incident
from sunlight.incidents.records import get_incident
from sunlight.incidents.terms import INACTIVE_REASONS, STATUSES, TEN_YEARS


class InvalidTransition(InvalidChange):
    """The investigation state machine refuses an impossible status change."""


@dataclass(frozen=True)
class Transition:
    status: str
    reason: str | None = None
    on: date | None = None


def allowed_transitions(incident: Incident) -> list[str]:
    """Statuses the incident may move to next (for forms and documentation)."""
    if incident.investigation_status == "none":
        return ["active"]
    if incident.investigation_status == "active":
        return ["inactive"]
    return ["active"] if incident.inactive_reason == "not-pursued" else []


def set_investigation_status(
    session: Session,
    incident_id: int,
    *,
    status: str,
    actor: str,
    reason: str | None = None,
    on: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> Incident:
    """Move the investigation through RSMo 610.100's states, refusing impossible moves.

    none -> active (an investigation opens); active -> inactive, with one of the three
    statutory reasons and the date it became inactive; inactive -> active only after a
    decision not to pursue (new evidence can reopen a case, but time cannot run backwards
    and final convictions stay final).
    """
    incident = get_incident(session, incident_id)
    if status not in STATUSES:
        raise InvalidTransition(f"status must be one of {', '.join(STATUSES)}")
    current = incident.investigation_status
    if status not in allowed_transitions(incident):
        if current == "inactive" and status == "active":
            raise InvalidTransition(
                f"an investigation that became inactive because of "
                f"{INACTIVE_REASONS[incident.inactive_reason or 'not-pursued']} cannot "
                "become active again"
            )
        raise InvalidTransition(f"an investigation cannot go from {current} to {status}")
    today = today or datetime.now(UTC).date()
    on = on or today
    if on > today:
        raise InvalidTransition("the status date cannot be in the future")
    if on < incident.started_at.date():
        raise InvalidTransition("the status date is before the incident")
    if status == "inactive":
        if reason not in INACTIVE_REASONS:
            raise InvalidTransition(
                f"an inactive investigation needs a reason: one of {', '.join(INACTIVE_REASONS)}"
            )
        if reason == "limitations" and (on - incident.started_at.date()).days > TEN_YEARS:
            raise InvalidTransition(
                "10 years after the incident the investigation was already inactive; "
                "use the date the 10 years passed (RSMo 610.100 §1(3): whichever is earlier)"
            )
    elif reason is not None:
        raise InvalidTransition("only an inactive investigation has a reason")
    before = {
        "status": current,
        "reason": incident.inactive_reason,
        "date": incident.status_date.isoformat() if incident.status_date else None,
    }
    incident.investigation_status = status
    incident.inactive_reason = reason if status == "inactive" else None
    incident.status_date = on
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.INVESTIGATION_STATUS,
        object_type="incident",
        object_id=incident.id,
        reason=note,
        details={
            "before": before,
            "after": {"status": status, "reason": incident.inactive_reason, "date": on.isoformat()},
            "statute": "RSMo 610.100",
        },
    )
    return incident
