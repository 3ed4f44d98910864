"""Release clocks, computed when read from the case's rows and an injected ``now``.

- The release clock runs FROM THE INCIDENT (its ``started_at``), not from when anyone was
  told: due = incident + the rule's ``release_days`` + every extension granted.
- Hand-off clocks: the department delivers reviewed candidates to the authority within
  ``deliver_days`` of the incident; the authority decides within ``decide_days`` of each
  delivery.
- Time with each party is measured from the case's transitions (closed and in review: the
  department; ready: the authority). Nothing here is stored: overdue is never a flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sunlight.incidents.models import Incident
from sunlight.release.models import ReleaseCase
from sunlight.release.policy import ReleasePolicy, ReleaseRule
from sunlight.release.states import FINAL, PARTY, READY, WITHHELD

SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Authority:
    kind: str  # department | investigating-agency
    agency_id: int | None
    name: str


@dataclass(frozen=True)
class Segment:
    party: str  # department | authority
    holder: str  # the name of who held it
    start: datetime
    end: datetime | None  # None: still with them
    days: float


@dataclass
class Clock:
    rule_id: str
    authority: Authority
    incident_at: datetime
    release_days: int
    extension_days: int
    due_at: datetime
    days_left: int
    overdue: bool
    deliver_due_at: datetime
    delivered_at: datetime | None
    deliver_overdue: bool
    decide_due_at: datetime | None
    decide_overdue: bool
    pending_with: str | None
    pending_days: int | None
    segments: list[Segment] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.pending_with is None:
            return "not pending"
        late = " (overdue)" if self.overdue or self.decide_overdue or self.deliver_overdue else ""
        return f"pending with {self.pending_with} for {self.pending_days} days{late}"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def authority_of(incident: Incident, rule: ReleaseRule, policy: ReleasePolicy) -> Authority:
    if rule.authority == "investigating-agency" and incident.agency is not None:
        return Authority("investigating-agency", incident.agency_id, incident.agency.name)
    return Authority("department", None, policy.department)


def compute(
    case: ReleaseCase,
    incident: Incident,
    rule: ReleaseRule,
    policy: ReleasePolicy,
    now: datetime,
) -> Clock:
    now = _utc(now)
    authority = authority_of(incident, rule, policy)
    started = _utc(incident.started_at)
    extension_days = sum(e.days for e in case.extensions)
    due = started + timedelta(days=rule.release_days + extension_days)
    final = case.state in FINAL
    settled = final or case.state == WITHHELD
    ended = _utc(case.transitions[-1].at) if settled and case.transitions else now
    deliveries = [_utc(t.at) for t in case.transitions if t.to_state == READY]
    delivered = deliveries[0] if deliveries else None
    deliver_due = started + timedelta(days=rule.handoff.deliver_days)
    decide_due = (
        deliveries[-1] + timedelta(days=rule.handoff.decide_days)
        if case.state == READY and deliveries
        else None
    )
    segments: list[Segment] = []
    for i, t in enumerate(case.transitions):
        party = PARTY.get(t.to_state)
        if party is None:
            continue
        nxt = case.transitions[i + 1] if i + 1 < len(case.transitions) else None
        end = _utc(nxt.at) if nxt is not None else None
        start = _utc(t.at)
        holder = authority.name if party == "authority" else policy.department
        days = ((end or now) - start).total_seconds() / SECONDS_PER_DAY
        segments.append(Segment(party, holder, start, end, round(days, 2)))
    pending_with: str | None = None
    pending_days: int | None = None
    if not settled and segments and segments[-1].end is None:
        pending_with = segments[-1].holder
        # The time with this party: consecutive segments with the same party count together.
        start = segments[-1].start
        for seg in reversed(segments[:-1]):
            if seg.party != segments[-1].party or seg.end != start:
                break
            start = seg.start
        pending_days = int((now - start).total_seconds() // SECONDS_PER_DAY)
    return Clock(
        rule_id=rule.id,
        authority=authority,
        incident_at=started,
        release_days=rule.release_days,
        extension_days=extension_days,
        due_at=due,
        days_left=int((due - (ended if settled else now)).total_seconds() // SECONDS_PER_DAY),
        overdue=not settled and now > due,
        deliver_due_at=deliver_due,
        delivered_at=delivered,
        deliver_overdue=(delivered is None and not settled and now > deliver_due),
        decide_due_at=decide_due,
        decide_overdue=decide_due is not None and now > decide_due,
        pending_with=pending_with,
        pending_days=pending_days,
        segments=segments,
    )
