"""The public figures: each a pure function of the database, a date range and ``now``,
returning raw rows that :mod:`sunlight.stats.suppress` then makes publishable.

Nothing here names a person: rows are funding sources, months, incident types, units
(pooled so that none is one officer), request outcomes, agencies, roles and purposes.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sunlight.access.decide import Reason
from sunlight.access.models import Share, UserRole
from sunlight.access.policy import AccessPolicy, load_access_policy
from sunlight.audit.views import ACCESS_ACTIONS
from sunlight.compliance import service as compliance
from sunlight.compliance.policy import load_policy as load_compliance_policy
from sunlight.errors import InvalidInput, SunlightError
from sunlight.evidence.custody import Action, Outcome
from sunlight.evidence.models import CustodyEvent, Device, Recording
from sunlight.incidents.access_rules import FIRST_AMENDMENT_TYPES
from sunlight.incidents.models import Incident, IncidentRecording
from sunlight.release.clocks import compute as release_clock
from sunlight.release.models import ReleaseCase
from sunlight.release.policy import load_release_policy
from sunlight.release.queries import list_cases
from sunlight.release.states import FINAL, WITHHELD
from sunlight.requests.calendar import default_calendar
from sunlight.requests.clock import Pause
from sunlight.requests.clocks import Facts, overdue
from sunlight.requests.models import RecordsRequest, RequestEvent, RequestPause
from sunlight.requests.states import OPEN, Status
from sunlight.stats.policy import StatsPolicy
from sunlight.stats.suppress import Measure, RawRow, Table, apply


def N_(text: str) -> str:
    """Mark a string for translation; the portal's template translates it when shown."""
    return text


def NC_(context: str, text: str) -> str:
    """Mark a string for translation in ``context`` (a figure's ``label_context``): the
    template shows it with ``pgettext(context, text)``."""
    del context
    return text


#: The row labels of the records-request figure count requests: Spanish writes them in the
#: feminine plural ("Recibidas", "Retiradas"), where one request is "Recibida".
REQUESTS_COUNTED = "requests counted"


#: The longest range one query may cover (a typo, not a question).
MAX_RANGE_DAYS = 366 * 10
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Range:
    """Whole days, both inclusive, in UTC."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)

    @classmethod
    def default(cls, now: datetime) -> Range:
        """The last 12 months: from the first day of the month 11 months ago to today."""
        today = now.astimezone(UTC).date()
        month = today.month - 11
        year = today.year
        if month < 1:
            month += 12
            year -= 1
        return cls(date(year, month, 1), today)

    @classmethod
    def parse(cls, start: str | None, end: str | None, now: datetime) -> Range:
        """From the page's or API's ``from``/``to`` (YYYY-MM-DD; either may be left out)."""
        default = cls.default(now)

        def day(value: str | None, name: str, fallback: date) -> date:
            if value is None or not value.strip():
                return fallback
            try:
                return date.fromisoformat(value.strip())
            except ValueError as exc:
                raise InvalidInput(
                    f"{name}: not a date (YYYY-MM-DD): {value[:20]!r}",
                    diagnostics={"field": name},
                ) from exc

        first = day(start, "from", default.start)
        last = day(end, "to", default.end)
        if first > last:
            raise InvalidInput(
                f"from ({first.isoformat()}) is after to ({last.isoformat()})",
                diagnostics={"field": "from"},
            )
        if first < EARLIEST:
            raise InvalidInput(
                f"from: statistics start in {EARLIEST.year}", diagnostics={"field": "from"}
            )
        if (last - default.end).days > MAX_RANGE_DAYS:
            # nothing is counted that far ahead, and the range's end (the day after it) and
            # months must stay within the calendar
            raise InvalidInput(
                "to: statistics end within ten years from today", diagnostics={"field": "to"}
            )
        if (last - first).days > MAX_RANGE_DAYS:
            raise InvalidInput("the range is limited to ten years", diagnostics={"field": "to"})
        return cls(first, last)

    def months(self) -> list[compliance.Month]:
        """Every calendar month that overlaps the range, in order."""
        found = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            found.append(compliance.Month(year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


Compute = Callable[[Session, Range, datetime, StatsPolicy], list[RawRow]]


@dataclass(frozen=True)
class Spec:
    slug: str
    title: str
    #: plain language: what is counted, from which records, and what is hidden
    explanation: str
    unit: str
    dimensions: tuple[str, ...]
    measures: tuple[Measure, ...]
    compute: Compute
    #: count measures that add up to a published total for the row
    row_parts: tuple[str, ...] = ()
    #: True: counted as of now, whatever the range
    snapshot: bool = False
    source: str = ""
    #: the measure the chart draws bars for (each count measure when empty)
    chart_measures: tuple[str, ...] = ()
    #: the gettext context the row labels are translated in (marked ``NC_(context, ...)``),
    #: when a label reads differently there than elsewhere; None: plain ``_()``
    label_context: str | None = None


@dataclass(frozen=True)
class Figure:
    spec: Spec
    range: Range
    as_of: datetime
    threshold: int
    table: Table
    notes: list[str] = field(default_factory=list)


# -- cameras ---------------------------------------------------------------------------

NOT_RECORDED = N_("Not recorded")
ALL_CAMERAS = N_("All cameras in service")


def cameras(session: Session, rng: Range, now: datetime, policy: StatsPolicy) -> list[RawRow]:
    found = session.execute(
        select(Device.funding_source, func.count())
        .where(Device.status == "in-service")
        .group_by(Device.funding_source)
    ).all()
    by_source: Counter[str] = Counter()
    for source, count in found:
        by_source[(source or "").strip() or NOT_RECORDED] += int(count)
    rows = [RawRow((ALL_CAMERAS,), {"cameras": sum(by_source.values())})]
    for source, count in sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append(RawRow((source,), {"cameras": count}, group="fleet"))
    return rows


# -- hours recorded ----------------------------------------------------------------------

#: Redacted copies are recordings too, but not footage recorded by a camera.
DERIVED_SOURCES = ("redaction",)


def hours_recorded(
    session: Session, rng: Range, now: datetime, policy: StatsPolicy
) -> list[RawRow]:
    made = func.coalesce(Recording.recorded_at, Recording.ingested_at)
    counts: Counter[str] = Counter()
    seconds: defaultdict[str, float] = defaultdict(float)
    for when, duration in session.execute(
        select(made.label("made"), Recording.duration_s)
        .where(
            made >= rng.start_at,
            made < rng.end_at,
            Recording.ingest_source.not_in(DERIVED_SOURCES),
        )
        .execution_options(yield_per=5000)
    ):
        moment = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        key = f"{moment.astimezone(UTC):%Y-%m}"
        counts[key] += 1
        seconds[key] += float(duration or 0)
    return [
        RawRow(
            (str(month),),
            {"recordings": counts[str(month)], "hours": round(seconds[str(month)] / 3600, 1)},
        )
        for month in rng.months()
    ]


# -- incidents ---------------------------------------------------------------------------


def incidents_by_type(
    session: Session, rng: Range, now: datetime, policy: StatsPolicy
) -> list[RawRow]:
    filmed = exists().where(IncidentRecording.incident_id == Incident.id)
    with_footage: Counter[str] = Counter()
    without: Counter[str] = Counter()
    for kind, has in session.execute(
        select(Incident.type, filmed.label("has")).where(
            Incident.started_at >= rng.start_at, Incident.started_at < rng.end_at
        )
    ):
        (with_footage if has else without)[kind] += 1
    kinds = sorted({*with_footage, *without})
    return [
        RawRow(
            (kind,),
            {
                "incidents": with_footage[kind] + without[kind],
                "with_footage": with_footage[kind],
                "without_footage": without[kind],
            },
        )
        for kind in kinds
    ]


# -- camera activation ----------------------------------------------------------------

DEPARTMENT = N_("Department-wide")
OTHER_UNITS = N_("Other units (combined)")
NO_UNIT = N_("No unit recorded")


def activation(session: Session, rng: Range, now: datetime, policy: StatsPolicy) -> list[RawRow]:
    """The compliance report's officer-incident pairs where footage is expected, summed
    over the months that overlap the range, department-wide and by the officer's unit."""
    rules = load_compliance_policy()
    expected: Counter[int] = Counter()
    missing: Counter[int] = Counter()
    unit_of: dict[int, str] = {}
    for month in rng.months():
        # the report's by_officer counts, counted in the database (not the whole report)
        for officer, unit, n, lacking in compliance.expected_footage_by_officer(
            session, month, rules
        ):
            expected[officer] += n
            missing[officer] += lacking
            unit = unit or compliance.UNASSIGNED
            unit_of[officer] = NO_UNIT if unit == compliance.UNASSIGNED else unit

    def values(officers: Iterable[int]) -> dict[str, float | int | None]:
        chosen = list(officers)
        total = sum(expected[o] for o in chosen)
        lacking = sum(missing[o] for o in chosen)
        rate = round(100 * (total - lacking) / total, 1) if total else None
        return {
            "expected": total,
            "with_footage": total - lacking,
            "without_footage": lacking,
            "percent_with_footage": rate,
        }

    everyone = list(expected)
    if not everyone:
        return [RawRow((DEPARTMENT,), values([]))]
    least = policy.min_officers_per_row
    if len(everyone) < least:
        return [RawRow((DEPARTMENT,), values(everyone), hidden="officers")]
    by_unit: dict[str, list[int]] = defaultdict(list)
    for officer, unit in unit_of.items():
        by_unit[unit].append(officer)
    # Units with too few officers are pooled; while the pool itself is too small, the
    # next smallest unit joins it (so that no row, nor a difference of rows, is one
    # officer's figure).
    small = sorted(u for u, members in by_unit.items() if len(members) < least)
    pool = [o for u in small for o in by_unit[u]]
    rest = sorted((u for u in by_unit if u not in small), key=lambda u: (len(by_unit[u]), u))
    while small and len(pool) < least and rest:
        unit = rest.pop(0)
        small.append(unit)
        pool += by_unit[unit]
    rows = [RawRow((DEPARTMENT,), values(everyone))]
    rows += [RawRow((u,), values(by_unit[u]), group="units") for u in sorted(rest)]
    if pool:
        hidden = "officers" if len(pool) < least else None
        rows.append(RawRow((OTHER_UNITS,), values(pool), group="units", hidden=hidden))
    return rows


# -- records requests --------------------------------------------------------------------

RECEIVED = NC_("requests counted", "Received")
OUTCOMES: list[tuple[str, frozenset[Status]]] = [
    (NC_("requests counted", "Fulfilled"), frozenset({Status.FULFILLED})),
    (NC_("requests counted", "Partially fulfilled"), frozenset({Status.PARTIALLY_FULFILLED})),
    (NC_("requests counted", "Denied"), frozenset({Status.DENIED})),
    (NC_("requests counted", "Withdrawn"), frozenset({Status.WITHDRAWN})),
]
OPEN_OVERDUE = NC_("requests counted", "Open and overdue")
OPEN_ON_TIME = NC_("requests counted", "Open, not overdue")

#: A response under RSMo 610.023.3: fulfil, deny, or delay with an explanation.
RESPONSES = frozenset(
    {
        str(Status.DELAYED),
        str(Status.FULFILLED),
        str(Status.PARTIALLY_FULFILLED),
        str(Status.DENIED),
    }
)
RELEASES = frozenset({str(Status.FULFILLED), str(Status.PARTIALLY_FULFILLED)})


def _received_in(rng: Range) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        RecordsRequest.received_date >= rng.start,
        RecordsRequest.received_date <= rng.end,
    )


def requests(session: Session, rng: Range, now: datetime, policy: StatsPolicy) -> list[RawRow]:
    """Closed requests are counted by status in the database; of the open ones only what
    their clocks read is (the pauses in one query), to tell which are overdue: what
    `clocks_of` says of each, from its due dates alone (`sunlight.requests.clocks.overdue`)."""
    calendar = default_calendar()
    tally: Counter[str] = Counter()
    received = 0
    for status_text, count in session.execute(
        select(RecordsRequest.status, func.count())
        .where(*_received_in(rng))
        .group_by(RecordsRequest.status)
    ):
        received += int(count)
        for label, statuses in OUTCOMES:
            if Status(status_text) in statuses:
                tally[label] += int(count)
    still_open = select(RecordsRequest.id).where(
        *_received_in(rng), RecordsRequest.status.in_([str(s) for s in OPEN])
    )
    pauses: defaultdict[int, list[Pause]] = defaultdict(list)
    for request_id, start, end, reason in session.execute(
        select(RequestPause.request_id, RequestPause.start, RequestPause.end, RequestPause.reason)
        .where(RequestPause.request_id.in_(still_open.scalar_subquery()))
        .order_by(RequestPause.id)
    ):
        pauses[request_id].append(Pause(start, end, reason))
    try:
        today: date | None = calendar.received_date(now)
    except SunlightError:  # a date the holidays file does not cover: no clock runs
        today = None
    for request_id, status, clock_from, available_at, asked, given in session.execute(
        select(
            RecordsRequest.id,
            RecordsRequest.status,
            RecordsRequest.clock_from,
            RecordsRequest.available_at,
            RecordsRequest.grounds_requested_at,
            RecordsRequest.grounds_given_at,
        )
        .where(*_received_in(rng), RecordsRequest.status.in_([str(s) for s in OPEN]))
        .execution_options(yield_per=5000)
    ):
        facts = Facts(status, clock_from, available_at, asked, given, pauses.get(request_id, ()))
        try:
            late = today is not None and overdue(facts, today=today, calendar=calendar)
        except SunlightError:  # a date the holidays file does not cover
            late = False
        tally[OPEN_OVERDUE if late else OPEN_ON_TIME] += 1
    rows = [RawRow((RECEIVED,), {"requests": received})]
    labels = [label for label, _ in OUTCOMES] + [OPEN_OVERDUE, OPEN_ON_TIME]
    rows += [RawRow((label,), {"requests": tally[label]}, group="outcome") for label in labels]
    return rows


TO_RESPOND = N_("To respond (fulfil, deny, or delay with an explanation)")
TO_RELEASE = N_("To release records (fulfilled in whole or in part)")


def response_times(
    session: Session, rng: Range, now: datetime, policy: StatsPolicy
) -> list[RawRow]:
    calendar = default_calendar()
    received_on: dict[int, date] = {
        row.id: row.received_date
        for row in session.execute(
            select(RecordsRequest.id, RecordsRequest.received_date).where(*_received_in(rng))
        )
    }
    responded: dict[int, datetime] = {}
    released: dict[int, datetime] = {}
    in_range = select(RecordsRequest.id).where(*_received_in(rng))
    # only the status the event moved to is read (not the whole details), and only the
    # events that are a response or a release
    moved_to = RequestEvent.details["to"].as_string()
    for request_id, at, target in session.execute(
        select(RequestEvent.request_id, RequestEvent.at, moved_to)
        .where(
            RequestEvent.request_id.in_(in_range),
            RequestEvent.kind == "status",
            RequestEvent.at < now,
            moved_to.in_(sorted(RESPONSES | RELEASES)),
        )
        .order_by(RequestEvent.id)
        .execution_options(yield_per=5000)
    ):
        if target in RESPONSES:
            responded.setdefault(request_id, at)
        if target in RELEASES:
            released.setdefault(request_id, at)

    def days(answers: dict[int, datetime]) -> list[int]:
        out = []
        for request_id, at in answers.items():
            at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
            try:
                out.append(
                    calendar.business_days_between(received_on[request_id], calendar.local_date(at))
                )
            except SunlightError:  # outside the holidays file: left out, not guessed
                continue
        return out

    rows = []
    for label, answers in ((TO_RESPOND, responded), (TO_RELEASE, released)):
        counted = days(answers)
        median = float(statistics.median(counted)) if counted else None
        rows.append(RawRow((label,), {"requests": len(counted), "median_business_days": median}))
    return rows


# -- releases pending with an outside agency -------------------------------------------

BUCKETS: list[tuple[str, int, int | None]] = [
    (N_("Under 30 days"), 0, 30),
    (N_("30 to 89 days"), 30, 90),
    (N_("90 days or more"), 90, None),
]
ALL_DURATIONS = N_("All")


def pending_outside(
    session: Session, rng: Range, now: datetime, policy: StatsPolicy
) -> list[RawRow]:
    release_policy = load_release_policy().policy
    waiting: defaultdict[str, list[int]] = defaultdict(list)
    # a released or withheld case is settled: pending with no one (release.clocks)
    unsettled = ReleaseCase.state.not_in([*FINAL, WITHHELD])
    for case, incident in list_cases(session, where=unsettled):
        rule = release_policy.rule_for(incident.type)
        clock = release_clock(case, incident, rule, release_policy, now)
        if (
            clock.pending_with is not None
            and clock.pending_days is not None
            and clock.authority.kind == "investigating-agency"
            and clock.segments
            and clock.segments[-1].party == "authority"
        ):
            waiting[clock.authority.name].append(clock.pending_days)
    rows = []
    for agency in sorted(waiting):
        spans = waiting[agency]
        rows.append(
            RawRow(
                (agency, ALL_DURATIONS),
                {"cases": len(spans), "median_days": float(statistics.median(spans))},
            )
        )
        for label, low, high in BUCKETS:
            n = sum(1 for d in spans if d >= low and (high is None or d < high))
            rows.append(RawRow((agency, label), {"cases": n}, group=agency))
    return rows


# -- access to footage -------------------------------------------------------------------

NO_REASON = N_("No reason given")
OWN_WORDS = N_("Reason in own words only")
SHARE_LINK = N_("Share link")
API_TOKEN = N_("API token")
SYSTEM = N_("System or command line")
UNKNOWN = N_("Unknown account")


def _roles(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """Each actor's role(s) as a public label: never the person."""
    users: set[int] = set()
    shares: set[int] = set()
    for actor in actors:
        kind, _, ident = actor.partition(":")
        if ident.isdigit() and kind == "user":
            users.add(int(ident))
        elif ident.isdigit() and kind == "share":
            shares.add(int(ident))
    roles: defaultdict[int, set[str]] = defaultdict(set)
    for start in range(0, len(users), 1000):
        chunk = sorted(users)[start : start + 1000]
        for user_id, role in session.execute(
            select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(chunk))
        ):
            roles[user_id].add(role)
    kinds = dict(
        session.execute(select(Share.id, Share.recipient_kind).where(Share.id.in_(shares))).all()
        if shares
        else []
    )
    out: dict[str, str] = {}
    for actor in actors:
        kind, _, ident = actor.partition(":")
        if kind == "user" and ident.isdigit():
            out[actor] = " + ".join(sorted(roles.get(int(ident), ()))) or UNKNOWN
        elif kind == "share" and ident.isdigit():
            recipient = kinds.get(int(ident))
            out[actor] = f"{SHARE_LINK}: {recipient}" if recipient else SHARE_LINK
        elif kind == "token":
            out[actor] = API_TOKEN
        elif kind in ("system", "cli"):
            out[actor] = SYSTEM
        else:
            out[actor] = UNKNOWN
    return out


def purpose_of(reason: str | None, access_policy: AccessPolicy) -> str:
    """The reason's category from the access policy (its label); never the typed text,
    which may hold case numbers or names."""
    parsed = Reason.parse(reason, access_policy)
    if parsed is None:
        return NO_REASON
    chosen = access_policy.reason_def(parsed.category) if parsed.category else None
    return chosen.label if chosen is not None else OWN_WORDS


def _accesses(
    session: Session, rng: Range, recording_ids: list[str] | None
) -> list[tuple[str, str | None, bool]]:
    """(actor, reason, allowed) of each access to footage, or refused attempt, in range."""
    success = CustodyEvent.action.in_(ACCESS_ACTIONS) & (
        CustodyEvent.outcome == str(Outcome.SUCCESS)
    )
    refused = CustodyEvent.action.in_([*ACCESS_ACTIONS, str(Action.ACCESS_DENIED)]) & (
        CustodyEvent.outcome == str(Outcome.DENIED)
    )
    query = select(CustodyEvent.actor, CustodyEvent.reason, CustodyEvent.outcome).where(
        CustodyEvent.object_type == "recording",
        CustodyEvent.occurred_at >= rng.start_at,
        CustodyEvent.occurred_at < rng.end_at,
        success | refused,
    )
    if recording_ids is not None:
        if not recording_ids:
            return []
        query = query.where(CustodyEvent.object_id.in_(recording_ids))
    return [
        (actor, reason, outcome == str(Outcome.SUCCESS))
        for actor, reason, outcome in session.execute(query.execution_options(yield_per=5000))
    ]


def _access_rows(
    session: Session, events: list[tuple[str, str | None, bool]], *, by_role: bool
) -> list[RawRow]:
    access_policy = load_access_policy().policy
    roles = _roles(session, {actor for actor, _, _ in events}) if by_role else {}
    allowed: Counter[tuple[str, ...]] = Counter()
    refused: Counter[tuple[str, ...]] = Counter()
    for actor, reason, ok in events:
        purpose = purpose_of(reason, access_policy)
        key = (roles[actor], purpose) if by_role else (purpose,)
        (allowed if ok else refused)[key] += 1
    keys = sorted({*allowed, *refused})
    return [
        RawRow(
            key,
            {"accesses": allowed[key], "refused": refused[key]},
            group=key[0] if by_role else "purposes",
        )
        for key in keys
    ]


def access_by_role(
    session: Session, rng: Range, now: datetime, policy: StatsPolicy
) -> list[RawRow]:
    return _access_rows(session, _accesses(session, rng, None), by_role=True)


def first_amendment_access(
    session: Session, rng: Range, now: datetime, policy: StatsPolicy
) -> list[RawRow]:
    recordings = [
        str(rid)
        for rid in session.scalars(
            select(IncidentRecording.recording_id)
            .join(Incident, Incident.id == IncidentRecording.incident_id)
            .where(Incident.type.in_(FIRST_AMENDMENT_TYPES))
            .distinct()
        )
    ]
    return _access_rows(session, _accesses(session, rng, recordings), by_role=False)


# -- the catalogue -----------------------------------------------------------------------

COUNT = "count"

SPECS: tuple[Spec, ...] = (
    Spec(
        slug="cameras",
        title=N_("Cameras in service and how they were paid for"),
        explanation=N_(
            "Body-worn and in-car cameras in service today, by the funding source recorded "
            "for each camera (a grant or donation, or the department's budget)."
        ),
        unit=N_("cameras"),
        dimensions=(N_("Funding source"),),
        measures=(Measure("cameras", N_("Cameras")),),
        compute=cameras,
        snapshot=True,
        source=N_("The camera register (devices)."),
    ),
    Spec(
        slug="hours-recorded",
        title=N_("Hours of footage recorded per month"),
        explanation=N_(
            "Recordings made in each month (by the time the camera recorded them, else when "
            "they were uploaded) and their total length in hours. Redacted copies made for "
            "release are not counted."
        ),
        unit=N_("hours"),
        dimensions=(N_("Month"),),
        measures=(
            Measure("recordings", N_("Recordings")),
            Measure("hours", N_("Hours"), kind="derived", basis="recordings"),
        ),
        compute=hours_recorded,
        source=N_("Recordings: recorded time and duration."),
        chart_measures=("hours",),
    ),
    Spec(
        slug="incidents-by-type",
        title=N_("Incidents by type, with and without footage"),
        explanation=N_(
            "Incidents that began in the range, by type, and whether any recording is "
            "linked to the incident."
        ),
        unit=N_("incidents"),
        dimensions=(N_("Incident type"),),
        measures=(
            Measure("incidents", N_("Incidents")),
            Measure("with_footage", N_("With footage")),
            Measure("without_footage", N_("Without footage")),
        ),
        compute=incidents_by_type,
        row_parts=("with_footage", "without_footage"),
        source=N_("Incidents and the recordings linked to them."),
        chart_measures=("with_footage", "without_footage"),
    ),
    Spec(
        slug="camera-activation",
        title=N_("Camera activation compliance"),
        explanation=N_(
            "For incidents of the types where policy expects footage, each officer on the "
            "incident should have a recording covering it. Counted per officer and "
            "incident, over the whole calendar months that overlap the range, "
            "department-wide and by the officer's unit. Units with fewer officers than the "
            "policy's minimum are combined, so no row is one officer's record."
        ),
        unit=N_("officer-incidents"),
        dimensions=(N_("Unit"),),
        measures=(
            Measure("expected", N_("Footage expected")),
            Measure("with_footage", N_("With footage")),
            Measure("without_footage", N_("Without footage")),
            Measure(
                "percent_with_footage",
                N_("Percent with footage"),
                kind="derived",
                basis="expected",
                reveals=("with_footage", "without_footage"),
            ),
        ),
        compute=activation,
        row_parts=("with_footage", "without_footage"),
        source=N_("The monthly compliance report (its aggregate, publishable part)."),
        chart_measures=("percent_with_footage",),
    ),
    Spec(
        slug="records-requests",
        title=N_("Records requests received and their outcome"),
        explanation=N_(
            "Records requests received in the range, by where each stands today: fulfilled, "
            "partially fulfilled, denied, withdrawn, or still open. An open request is "
            "overdue when its response deadline (three business days, RSMo 610.023.3, or "
            "the date promised with a delay) has passed."
        ),
        unit=N_("requests"),
        dimensions=(N_("Outcome"),),
        measures=(Measure("requests", N_("Requests")),),
        compute=requests,
        source=N_("Records requests and their clocks."),
        label_context=REQUESTS_COUNTED,
    ),
    Spec(
        slug="request-response-times",
        title=N_("Business days to respond to records requests"),
        explanation=N_(
            "For requests received in the range: the median number of business days from "
            "receipt to the first response (fulfilment, denial, or a delay with its "
            "explanation) and to the release of records. The day of receipt does not "
            "count; weekends and state holidays are skipped."
        ),
        unit=N_("business days"),
        dimensions=(N_("Measure"),),
        measures=(
            Measure("requests", N_("Requests answered")),
            Measure(
                "median_business_days",
                N_("Median business days"),
                kind="derived",
                basis="requests",
            ),
        ),
        compute=response_times,
        source=N_("The request timeline and the business-day calendar."),
        chart_measures=("median_business_days",),
    ),
    Spec(
        slug="pending-outside",
        title=N_("Release decisions pending with an outside agency"),
        explanation=N_(
            "Release cases waiting today for a decision by the outside agency that "
            "investigates the incident, and for how long (days since the reviewed copies "
            "were handed to the agency)."
        ),
        unit=N_("cases"),
        dimensions=(N_("Agency"), N_("Time pending")),
        measures=(
            Measure("cases", N_("Cases")),
            Measure("median_days", N_("Median days pending"), kind="derived", basis="cases"),
        ),
        compute=pending_outside,
        snapshot=True,
        source=N_("Release cases, their transitions and the release policy."),
        chart_measures=("cases",),
    ),
    Spec(
        slug="footage-access",
        title=N_("Access to footage by role and purpose"),
        explanation=N_(
            "Each viewing, playback, download or use of a shared link of a recording in the "
            "range, by the role of the account and the purpose it gave (a category of the "
            "access policy; the words typed are never published), and attempts the access "
            "policy refused."
        ),
        unit=N_("accesses"),
        dimensions=(N_("Role"), N_("Purpose")),
        measures=(Measure("accesses", N_("Accesses")), Measure("refused", N_("Refused"))),
        compute=access_by_role,
        source=N_("The custody log (access events)."),
        chart_measures=("accesses",),
    ),
    Spec(
        slug="first-amendment-access",
        title=N_("Access to First Amendment assembly footage"),
        explanation=N_(
            "Accesses to recordings of First Amendment assemblies in the range, by the "
            "purpose given. The access policy allows them only for a criminal investigation "
            "or a misconduct complaint, with its number."
        ),
        unit=N_("accesses"),
        dimensions=(N_("Purpose"),),
        measures=(Measure("accesses", N_("Accesses")), Measure("refused", N_("Refused"))),
        compute=first_amendment_access,
        source=N_("The custody log and incidents of type first-amendment-assembly."),
    ),
)

BY_SLUG = {spec.slug: spec for spec in SPECS}


def compute_figure(
    session: Session, spec: Spec, rng: Range, now: datetime, policy: StatsPolicy
) -> Figure:
    raw = spec.compute(session, rng, now, policy)
    table = apply(spec.measures, raw, policy.small_cell_threshold, row_parts=spec.row_parts)
    notes = []
    if spec.snapshot:
        notes.append(N_("Counted as of today: the date range does not apply."))
    return Figure(spec, rng, now, policy.small_cell_threshold, table, notes)
