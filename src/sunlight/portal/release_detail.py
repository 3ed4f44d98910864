"""The facts of one published release, for its public page and its JSON: incident context,
the release timeline (records requests, decisions, pauses, extensions, embargo, release),
the redaction manifest of the reviewed plan, and the custody-log verification badge.

Only public facts leave this module: incident type and date, a generalised area (a patrol
division; never an address), agencies and roles by name (never a person), counts and times
of what was redacted (never what was removed), tracking numbers and dates of the records
requests that asked for the footage (never who asked), and the log's and witnesses' names.

Texts a visitor reads are English message ids (``N_``), translated where they are shown;
free text staff wrote (an extension's written basis) is shown as written.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from sunlight.access.models import User
from sunlight.access.permissions import Permission
from sunlight.access.policy import load_access_policy
from sunlight.captions.service import PublicCaptions, public_captions_in
from sunlight.errors import NotFound, SunlightError
from sunlight.evidence.media_types import video_type
from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.incidents.models import Incident
from sunlight.incidents.terms import INCIDENT_TYPES
from sunlight.ledger.models import LedgerLeaf
from sunlight.ledger.public_view import log_view
from sunlight.portal import areas
from sunlight.redaction.models import RedactionPlan
from sunlight.redaction.plan import DEFAULT_AUDIO_REASON, DEFAULT_FACE_REASON, Plan, load_plan
from sunlight.release.clocks import authority_of
from sunlight.release.models import Release, ReleaseCandidate, ReleaseCase
from sunlight.release.policy import ReleasePolicy, load_release_policy
from sunlight.release.states import (
    BY_COURT,
    CLOSED,
    IN_REVIEW,
    READY,
    RELEASED,
    TRANSITIONS,
    WITHHELD,
)
from sunlight.requests.models import RecordsRequest, RequestItem
from sunlight.runtime import Runtime
from sunlight.storage.base import StorageError


def N_(s: str) -> str:
    """Mark a message id for translation; it is translated where a template shows it."""
    return s


#: The release page's own section on checking a copy with ``sunlight-verify``
#: (docs/public.md, "Reading a release page", says the same).
VERIFY_ANCHOR = "check-it-yourself"
#: An embargo shorter than this is not an embargo (decided and scheduled in one act).
EMBARGO_MIN = timedelta(minutes=1)
#: Statute of the investigation hold (a case closed while its investigation is active).
INVESTIGATION_STATUTE = "RSMo 610.100.2(1)"
COURT_STATUTE = "RSMo 610.100"

#: How each state a release case moves into reads on the public timeline.
STEP_TEXT = {
    CLOSED: N_("Case opened (investigation active)"),
    IN_REVIEW: N_("Footage under review and redaction"),
    READY: N_("Redacted copy delivered for decision"),
    RELEASED: N_("Release decided"),
    WITHHELD: N_("Withheld"),
    BY_COURT: N_("Released by court order"),
}
#: Moves that read differently from the plain state.
MOVE_TEXT = {
    (IN_REVIEW, CLOSED): N_("Paused: the investigation is active again"),
    (CLOSED, IN_REVIEW): N_("Footage under review and redaction (investigation inactive)"),
    (READY, IN_REVIEW): N_("Sent back for more review"),
    (WITHHELD, IN_REVIEW): N_("Footage under review and redaction (reconsidered)"),
}
ORDER_TEXT = {
    "release": N_("Court order: release"),
    "deny": N_("Court order: release denied"),
    "conditions": N_("Court order: release with conditions"),
}
KIND_TEXT = {
    "face": N_("Faces"),
    "plate": N_("License plates"),
    "screen": N_("Screens"),
    "document": N_("Documents"),
    "other": N_("Other"),
    "audio": N_("Audio"),
}
DEFAULT_REDACTION_TEXT = {
    "faces": N_("Faces"),
    "license-plates": N_("License plates"),
    "screens": N_("Screens"),
    "muted-personal-information": N_("Personal information in the audio"),
    "muted-ranges": N_("Muted ranges of audio"),
}
MODE_TEXT = {"silence": N_("silenced"), "tone": N_("replaced by a tone")}
#: Reason texts of the plan schema's defaults: public wording, shown (and translated).
KNOWN_REASONS = {
    DEFAULT_FACE_REASON["text"]: N_(DEFAULT_FACE_REASON["text"]),
    DEFAULT_AUDIO_REASON["text"]: N_(DEFAULT_AUDIO_REASON["text"]),
}


# -- what the page and the JSON carry ----------------------------------------------------


@dataclass(frozen=True)
class Context:
    incident_type: str
    incident_type_label: str  # a message id
    incident_date: date
    area: str | None  # a patrol division, or None
    area_note: str | None  # a message id, when no area is published
    released_at: datetime
    media_type: str


@dataclass(frozen=True)
class Step:
    at: date
    kind: str  # incident | request | state | extension | embargo | published | petition | order
    text: str  # a message id
    by: str | None  # an agency, the department or a court, by name; never a person
    days: int | None  # days since the previous step (None: the incident itself)
    statute: str | None = None
    note: str | None = None  # as written: a tracking number, a court, an extension's basis
    until: date | None = None  # an estimated release date, or the embargo's end


@dataclass(frozen=True)
class Pause:
    start: date
    end: date | None  # None: not resumed (the case is released, so this is only for safety)
    days: int
    reason: str  # a message id
    statute: str | None


@dataclass(frozen=True)
class Extension:
    at: date
    days: int
    basis: str  # the written basis, as written
    estimated_release: date
    by: str


@dataclass(frozen=True)
class RequestRef:
    tracking_number: str
    received_date: date


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str  # a message id
    tracks: int
    boxes: int  # frames × tracks: one box per redacted track per frame


@dataclass(frozen=True)
class Mute:
    start_s: float
    end_s: float
    mode: str
    mode_label: str  # a message id
    statute: str


@dataclass(frozen=True)
class Why:
    statute: str
    text: str | None  # a message id (the schema's default wording), or None: not published
    kinds: list[str]


@dataclass(frozen=True)
class Manifest:
    plan_version: int
    plan_sha256: str
    readable: bool  # False: the plan file is not in the store; only the counts recorded
    tracks: int  # redacted tracks (faces and objects hidden)
    kept_visible: int  # tracks the reviewer kept visible
    boxes: int
    frames: int  # frames with at least one redaction
    frame_count: int
    fps: float
    kinds: list[KindCount]
    mutes: list[Mute]
    muted_seconds: float
    reasons: list[Why]
    defaults: list[str]  # message ids: the release rule's default redactions
    rule_basis: str
    reviewed_at: date | None
    reviewer_role: str | None
    reviewer_agency: str | None
    mute_count: int


@dataclass(frozen=True)
class Badge:
    leaf_index: int | None  # None: not sealed into the custody log yet
    ingested_at: datetime | None
    checkpoint_size: int | None  # None: no signed checkpoint holds the leaf yet
    log_origin: str | None
    witnesses: list[str]
    witnessed: bool
    quorum: int
    proof_url: str
    verify_docs: str


@dataclass(frozen=True)
class PublicRelease:
    id: int
    context: Context
    timeline: list[Step]
    pauses: list[Pause]
    extensions: list[Extension]
    requests: list[RequestRef]
    manifest: Manifest | None
    badge: Badge
    embargo_until: datetime | None = None

    # the names the page used before (other helpers' templates read them)
    @property
    def leaf_index(self) -> int | None:
        return self.badge.leaf_index

    @property
    def incident_type(self) -> str:
        return self.context.incident_type

    @property
    def incident_date(self) -> date:
        return self.context.incident_date

    @property
    def released_at(self) -> datetime:
        return self.context.released_at

    @property
    def media_type(self) -> str:
        return self.context.media_type

    @property
    def ingested_at(self) -> datetime | None:
        return self.badge.ingested_at


# -- building it -------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _day(value: datetime) -> date:
    return _utc(value).astimezone(UTC).date()


@functools.lru_cache(maxsize=8)
def _area_statement(kinds: tuple[str, ...]) -> Select[str | None, str | None]:
    """The area query for one set of nonpublic-location kinds, built once (building the
    expressions took a quarter of a release page's time); the release id is a parameter."""
    return (
        select(areas.area(kinds), areas.area_note(kinds))
        .select_from(Release)
        .join(ReleaseCase, ReleaseCase.id == Release.case_id)
        .join(Incident, Incident.id == ReleaseCase.incident_id)
        .where(Release.id == bindparam("release_id"))
    )


def _area(
    session: Session, release: Release, policy: ReleasePolicy
) -> tuple[str | None, str | None]:
    """The release's public area and, when none, why: read with ``portal.areas``'s
    expressions, the same ones the released list and its area filter use."""
    statement = _area_statement(tuple(policy.nonpublic_locations.flag_kinds))
    row = session.execute(statement, {"release_id": release.id}).one()
    return row[0], (areas.NOTE_TEXT[row[1]] if row[1] is not None else None)


def _requests(session: Session, incident: Incident, release: Release) -> list[RequestRef]:
    rows = session.execute(
        select(RecordsRequest.tracking_number, RecordsRequest.received_date)
        .join(RequestItem, RequestItem.request_id == RecordsRequest.id)
        .where(
            RequestItem.removed_at.is_(None),
            or_(
                RequestItem.incident_id == incident.id,
                RequestItem.recording_id.in_(
                    [release.original_recording_id, release.derived_recording_id]
                ),
            ),
        )
        .distinct()
        .order_by(RecordsRequest.received_date, RecordsRequest.tracking_number)
    )
    return [RequestRef(r.tracking_number, r.received_date) for r in rows]


def _timeline(
    case: ReleaseCase,
    incident: Incident,
    release: Release,
    requests: list[RequestRef],
    authority: str,
    department: str,
) -> tuple[list[Step], list[Pause], list[Extension], datetime | None]:
    # (when, order, step-without-days): steps are sorted by time, then by kind order
    raw: list[tuple[datetime, int, Step]] = []
    started = _utc(incident.started_at)
    raw.append((started, 0, Step(_day(started), "incident", N_("Incident"), None, None)))
    for r in requests:
        at = datetime.combine(r.received_date, datetime.min.time(), tzinfo=UTC)
        raw.append(
            (
                at,
                1,
                Step(
                    r.received_date,
                    "request",
                    N_("Records request received"),
                    None,
                    None,
                    note=r.tracking_number,
                ),
            )
        )
    pauses: list[Pause] = []
    transitions = list(case.transitions)
    for i, t in enumerate(transitions):
        at = _utc(t.at)
        move = TRANSITIONS.get((t.from_state or "", t.to_state))
        decides = move is not None and move.permission == Permission.RELEASE_DECIDE
        by: str | None = authority if decides else department
        if t.to_state == BY_COURT:
            by = None  # the court: named on its order's step
        text = MOVE_TEXT.get((t.from_state or "", t.to_state), STEP_TEXT.get(t.to_state))
        statute = t.statute
        if t.to_state == CLOSED and statute is None:
            statute = INVESTIGATION_STATUTE
        raw.append((at, 2, Step(_day(at), "state", text or t.to_state, by, None, statute)))
        if t.to_state in (CLOSED, WITHHELD):
            nxt = transitions[i + 1] if i + 1 < len(transitions) else None
            end = _utc(nxt.at) if nxt is not None else None
            reason = (
                N_("Closed while the investigation is active")
                if t.to_state == CLOSED
                else N_("Withheld by the release authority")
            )
            pauses.append(
                Pause(
                    _day(at),
                    _day(end) if end is not None else None,
                    ((end or at) - at).days,
                    reason,
                    statute,
                )
            )
    extensions: list[Extension] = []
    for e in case.extensions:
        at = _utc(e.at)
        extensions.append(Extension(_day(at), e.days, e.basis, e.estimated_release, authority))
        raw.append(
            (
                at,
                3,
                Step(
                    _day(at),
                    "extension",
                    N_("Release clock extended"),
                    authority,
                    None,
                    note=e.basis,
                    until=e.estimated_release,
                ),
            )
        )
    for petition in case.petitions:
        filed = datetime.combine(petition.filed_on, datetime.min.time(), tzinfo=UTC)
        raw.append(
            (
                filed,
                4,
                Step(
                    petition.filed_on,
                    "petition",
                    N_("Petition filed in court"),
                    None,
                    None,
                    statute=COURT_STATUTE,
                    note=petition.court,
                ),
            )
        )
        # an order in force only: one awaiting its second person's confirmation is not public
        confirmed = [o for o in petition.orders if o.confirmed_at is not None]
        ends = [o.ordered_on for o in confirmed]
        for order in confirmed:
            on = datetime.combine(order.ordered_on, datetime.min.time(), tzinfo=UTC)
            raw.append(
                (
                    on,
                    4,
                    Step(
                        order.ordered_on,
                        "order",
                        ORDER_TEXT.get(order.outcome, N_("Court order")),
                        petition.court,
                        None,
                        statute=COURT_STATUTE,
                    ),
                )
            )
        end_day = min(ends) if ends else None
        pauses.append(
            Pause(
                petition.filed_on,
                end_day,
                (end_day - petition.filed_on).days if end_day else 0,
                N_("Petition pending in court"),
                COURT_STATUTE,
            )
        )
    embargo_until: datetime | None = None
    decided, scheduled = _utc(release.decided_at), _utc(release.scheduled_for)
    released_at = _utc(release.released_at) if release.released_at else scheduled
    if scheduled - decided >= EMBARGO_MIN:
        embargo_until = scheduled
        raw.append(
            (
                decided,
                5,
                Step(
                    _day(decided),
                    "embargo",
                    N_("Release decided, embargoed"),
                    authority,
                    None,
                    until=_day(scheduled),
                ),
            )
        )
        # the state step "released" is the embargo lifting: say so
        raw = [
            (
                when,
                order,
                Step(
                    s.at,
                    "published",
                    N_("Embargo lifted: published"),
                    department,
                    None,
                    s.statute,
                )
                if s.kind == "state" and s.text == STEP_TEXT[RELEASED]
                else s,
            )
            for when, order, s in raw
        ]
        if not any(s.kind == "published" for _, _, s in raw):
            raw.append(
                (
                    released_at,
                    6,
                    Step(
                        _day(released_at),
                        "published",
                        N_("Embargo lifted: published"),
                        department,
                        None,
                    ),
                )
            )
    raw.sort(key=lambda item: (item[0], item[1]))
    steps: list[Step] = []
    previous: date | None = None
    for _, _, s in raw:
        days = None if previous is None else max(0, (s.at - previous).days)
        steps.append(
            Step(s.at, s.kind, s.text, s.by, days, s.statute, s.note, s.until)
            if previous is not None
            else s
        )
        previous = s.at
    pauses.sort(key=lambda p: p.start)
    return steps, pauses, extensions, embargo_until


def _reviewer(session: Session, actor: str | None, department: str) -> tuple[str | None, str]:
    """The reviewer's role and agency, by name; never the person."""
    user: User | None = None
    if actor and actor.startswith("user:") and actor[5:].isdigit():
        user = session.get(User, int(actor[5:]))
    if user is None:
        return None, department
    roles = sorted(r.role for r in user.roles)
    preferred = [r for r in ("records-custodian", "outside-investigator") if r in roles]
    role = (preferred or roles or [None])[0]
    label = None
    if role is not None:
        defs = load_access_policy().policy.roles
        label = defs[role].label if role in defs else role
    return label, user.agency.name


def _span_frames(start: int, end: int, frame_count: int) -> range:
    last = end if frame_count <= 0 else min(end, frame_count - 1)
    return range(max(0, start), last + 1)


def manifest_of(plan: Plan) -> tuple[int, int, int, int, list[KindCount], list[Mute], list[Why]]:
    """(tracks, kept visible, boxes, frames, per kind, mutes, reasons) of a plan: counted,
    never showing what was removed."""
    hidden = [t for t in plan.tracks if not t.keep_visible]
    frames: set[int] = set()
    per_kind: dict[str, list[int]] = {}
    reasons: dict[tuple[str, str | None], set[str]] = {}
    boxes = 0
    for t in hidden:
        span = _span_frames(*t.span, plan.frame_count)
        boxes += len(span)
        frames.update(span)
        count = per_kind.setdefault(t.kind, [0, 0])
        count[0] += 1
        count[1] += len(span)
        key = (t.reason.statute, KNOWN_REASONS.get(t.reason.text))
        reasons.setdefault(key, set()).add(t.kind)
    mutes = []
    for m in sorted(plan.audio_mutes, key=lambda m: (m.start_s, m.end_s)):
        mutes.append(
            Mute(m.start_s, m.end_s, m.mode, MODE_TEXT.get(m.mode, m.mode), m.reason.statute)
        )
        key = (m.reason.statute, KNOWN_REASONS.get(m.reason.text))
        reasons.setdefault(key, set()).add("audio")
    kinds = [
        KindCount(kind, KIND_TEXT.get(kind, kind), n, b)
        for kind, (n, b) in sorted(per_kind.items())
    ]
    whys = [
        Why(statute, text, sorted(k))
        for (statute, text), k in sorted(reasons.items(), key=lambda i: (i[0][0], i[0][1] or ""))
    ]
    return len(hidden), len(plan.tracks) - len(hidden), boxes, len(frames), kinds, mutes, whys


Counted = tuple[int, int, int, int, list[KindCount], list[Mute], list[Why], int, float]
#: Plans are content-addressed (a SHA-256 names one plan for ever): their counts are kept.
_COUNTED: dict[str, Counted] = {}
_COUNTED_MAX = 512


def _counted(runtime: Runtime, sha256: str) -> Counted | None:
    """The counts of the plan stored under ``sha256``; None when it is not in the store
    (or does not hash to its name)."""
    found = _COUNTED.get(sha256)
    if found is not None:
        return found
    try:
        plan = load_plan(b"".join(runtime.store.iter_range(sha256)))
    except (SunlightError, StorageError, OSError, ValueError):
        return None  # not in the store, or unreadable: the page shows the recorded counts
    if plan.sha256() != sha256:
        return None
    counted = (*manifest_of(plan), plan.frame_count, plan.fps)
    if len(_COUNTED) >= _COUNTED_MAX:
        _COUNTED.pop(next(iter(_COUNTED)))
    _COUNTED[sha256] = counted
    return counted


def _manifest(
    runtime: Runtime,
    session: Session,
    release: Release,
    incident: Incident,
    policy: ReleasePolicy,
) -> Manifest | None:
    candidate = session.get(ReleaseCandidate, release.candidate_id)
    if candidate is None:
        return None
    row = session.get(RedactionPlan, candidate.plan_id)
    counted = _counted(runtime, candidate.plan_sha256)
    rule = policy.rule_for(incident.type)
    role, agency = _reviewer(session, candidate.reviewed_by, policy.department)
    reviewed = candidate.reviewed_at
    defaults = [DEFAULT_REDACTION_TEXT.get(d, d) for d in rule.default_redactions]
    if counted is None:
        # the counts recorded with the plan version; what they cover is not readable here
        return Manifest(
            plan_version=candidate.plan_version,
            plan_sha256=candidate.plan_sha256,
            readable=False,
            tracks=row.track_count if row is not None else 0,
            kept_visible=0,
            boxes=0,
            frames=0,
            frame_count=0,
            fps=0.0,
            kinds=[],
            mutes=[],
            muted_seconds=0.0,
            reasons=[],
            defaults=defaults,
            rule_basis=" ".join(rule.basis.split()),
            reviewed_at=_day(reviewed) if reviewed else None,
            reviewer_role=role if reviewed else None,
            reviewer_agency=agency if reviewed else None,
            mute_count=row.mute_count if row is not None else 0,
        )
    tracks, kept, boxes, frames, kinds, mute_list, whys, frame_count, fps = counted
    return Manifest(
        plan_version=candidate.plan_version,
        plan_sha256=candidate.plan_sha256,
        readable=True,
        tracks=tracks,
        kept_visible=kept,
        boxes=boxes,
        frames=frames,
        frame_count=frame_count,
        fps=fps,
        kinds=kinds,
        mutes=mute_list,
        muted_seconds=round(sum(max(0.0, m.end_s - m.start_s) for m in mute_list), 3),
        reasons=whys,
        defaults=defaults,
        rule_basis=" ".join(rule.basis.split()),
        reviewed_at=_day(reviewed) if reviewed else None,
        reviewer_role=role if reviewed else None,
        reviewer_agency=agency if reviewed else None,
        mute_count=len(mute_list),
    )


def _badge(
    runtime: Runtime, session: Session, release: Release, recording: Recording, now: datetime
) -> Badge:
    proof_url = f"/api/public/releases/{release.id}/proof"
    ingested_at = _utc(recording.ingested_at)
    leaf = session.scalar(
        select(LedgerLeaf.leaf_index)
        .join(CustodyEvent, CustodyEvent.id == LedgerLeaf.event_id)
        .where(
            CustodyEvent.object_type == "recording",
            CustodyEvent.object_id == str(recording.id),
            CustodyEvent.action == "ingest",
        )
        .order_by(CustodyEvent.id)
        .limit(1)
    )
    view = log_view(runtime, session, now=now)
    docs = f"/public/releases/{release.id}#{VERIFY_ANCHOR}"
    if leaf is None:
        return Badge(None, ingested_at, None, view.origin, [], False, view.quorum, proof_url, docs)
    checkpoint, witnessed = view.badge_checkpoint(leaf)
    return Badge(
        leaf,
        ingested_at,
        checkpoint.size if checkpoint is not None else None,
        view.origin,
        list(checkpoint.witnesses) if checkpoint is not None else [],
        witnessed,
        view.quorum,
        proof_url,
        docs,
    )


#: A public, published release with its case, incident and released copy, in one statement
#: (inner joins: a release missing any of them is not shown).
_PUBLISHED = (
    select(Release, ReleaseCase, Incident, Recording)
    .join(ReleaseCase, ReleaseCase.id == Release.case_id)
    .join(Incident, Incident.id == ReleaseCase.incident_id)
    .join(Recording, Recording.id == Release.derived_recording_id)
    .where(
        Release.id == bindparam("release_id"),
        Release.public.is_(True),
        Release.released_at.is_not(None),
    )
)


def _read(
    runtime: Runtime, session: Session, release_id: int, *, now: datetime
) -> tuple[PublicRelease, Release]:
    # public and published with its released copy, else 404 (never a hint): the test of
    # ``lists.published_copy`` and ``proof.published``, read in this session
    policy = load_release_policy().policy
    found = session.execute(_PUBLISHED, {"release_id": release_id}).first()
    if found is None:
        raise NotFound(f"no released copy {release_id}")
    release, case, incident, recording = found
    assert release.released_at is not None  # (the statement's condition)
    authority = authority_of(incident, policy.rule_for(incident.type), policy).name
    area, area_note = _area(session, release, policy)
    requests = _requests(session, incident, release)
    steps, pauses, extensions, embargo = _timeline(
        case, incident, release, requests, authority, policy.department
    )
    context = Context(
        incident_type=incident.type,
        incident_type_label=INCIDENT_TYPES.get(incident.type, incident.type),
        incident_date=_day(incident.started_at),
        area=area,
        area_note=area_note,
        released_at=_utc(release.released_at),
        media_type=video_type(recording.original_filename),
    )
    shown = PublicRelease(
        id=release.id,
        context=context,
        timeline=steps,
        pauses=pauses,
        extensions=extensions,
        requests=requests,
        manifest=_manifest(runtime, session, release, incident, policy),
        badge=_badge(runtime, session, release, recording, now),
        embargo_until=embargo,
    )
    return shown, release


def public_release(runtime: Runtime, release_id: int, *, now: datetime) -> PublicRelease:
    """Everything the public JSON shows of one published release; 404 otherwise."""
    with runtime.db.session(read_only=True) as session:
        return _read(runtime, session, release_id, now=now)[0]


def release_page(
    runtime: Runtime, release_id: int, *, language: str = "en", now: datetime
) -> tuple[PublicRelease, PublicCaptions | None]:
    """The release page's facts and its copy's approved captions (None: none are), read in
    one session; 404 unless published."""
    with runtime.db.session(read_only=True) as session:
        shown, release = _read(runtime, session, release_id, now=now)
        captions = public_captions_in(session, release_id, release.derived_recording_id, language)
    return shown, captions
