"""Records requests on the web: the typed models every JSON route reads and answers. The
public ones (intake, the log, the private page) carry no requester identity except the
private page's, whose token is the requester's own credential; their size limits cap a
public intake."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from sunlight.requests import fees, service
from sunlight.validation import Day, SmallId, Timestamp

RequesterType = Literal[
    "public", "media", "depicted", "guardian", "relative", "attorney", "insurer"
]


# -- models -------------------------------------------------------------------------------


class PublicRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    requester_type: RequesterType = Field(
        description="public, media, or under RSMo 610.100.3: a person depicted or heard, "
        "their guardian, a first-degree relative, attorney or insurer"
    )
    description: str = Field(min_length=1, max_length=10_000)
    date_from: Day | None = None
    date_to: Day | None = None
    location: str | None = Field(default=None, max_length=300)


class Skip(BaseModel):
    date: date
    why: str


class PauseOut(BaseModel):
    start: datetime
    end: datetime | None
    reason: str


class Arithmetic(BaseModel):
    """How the due date was counted: from the date received (Kansas City), the business
    days counted, the days skipped and why, and each pause with its reason."""

    received: date
    business_days: int
    notes: list[str]
    counted: list[date]
    skipped: list[Skip]
    pauses: list[PauseOut]


class ClockOut(BaseModel):
    kind: Literal["response", "delay", "grounds"]
    due: date | None = Field(description="None while the clock is paused")
    state: str = Field(description="on-time, due-soon, due-today, overdue, paused (or closed)")
    note: str
    arithmetic: Arithmetic | None

    @classmethod
    def of(cls, found: service.RequestClock) -> ClockOut:
        arithmetic = None
        if found.deadline is not None:
            d = found.deadline
            arithmetic = Arithmetic(
                received=d.received,
                business_days=d.business_days,
                counted=list(d.counted),
                skipped=[Skip(date=s.date, why=s.why) for s in d.skipped],
                notes=list(d.notes),
                pauses=[PauseOut(start=p.start, end=p.end, reason=p.reason) for p in d.pauses],
            )
        return cls(
            kind=found.kind,
            due=found.due,
            state=found.state,
            note=found.note,
            arithmetic=arithmetic,
        )


class PublicRequestCreated(BaseModel):
    tracking_number: str
    received_date: date
    due: date | None
    private_link: str = Field(description="The requester's page; keep it private")
    private_api: str


class PublicLogEntry(BaseModel):
    """One line of the public request log: no requester's name, email or words."""

    tracking_number: str
    received_date: date
    requester_category: str | None
    status: str
    due: date | None
    due_state: str | None


class PublicEvent(BaseModel):
    at: datetime
    text: str


class DeliveryOut(BaseModel):
    id: int
    recording_id: int
    basis: str
    delivered_at: datetime
    expires_at: datetime
    download: str
    notice: str | None
    acknowledged_at: datetime | None


class TrackView(BaseModel):
    """The requester's private page (the token holder only)."""

    tracking_number: str
    requester_name: str
    requester_type: str
    description: str
    received_at: datetime
    received_date: date
    status: str
    available_at: datetime | None
    denial_provision: str | None
    denial_reason: str | None
    fee_estimate_cents: int | None
    prepayment_required: bool
    prepayment_received: bool
    clocks: list[ClockOut]
    timeline: list[PublicEvent]
    deliveries: list[DeliveryOut]


class EventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    kind: str
    public_text: str | None
    staff_text: str | None
    details: dict[str, Any]


class ItemOut(BaseModel):
    id: int
    incident_id: int | None
    recording_id: int | None
    nonpublic_location: bool
    linked_by: str
    linked_at: datetime
    why: str
    removed_at: datetime | None


class VerificationOut(BaseModel):
    id: int
    verified_by: str
    verified_at: datetime
    document_type: str
    relation: str
    depicted_person: str


class EmailOut(BaseModel):
    """A message to the requester in the durable outbox, with its delivery state."""

    id: int
    to: str
    subject: str
    status: str
    queued_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


class RequestSummary(BaseModel):
    id: int
    tracking_number: str
    requester_type: str
    received_date: date
    status: str
    clock: ClockOut


class RequestOut(RequestSummary):
    requester_name: str
    requester_email: str
    requester_phone: str | None
    description: str
    date_from: date | None
    date_to: date | None
    location: str | None
    received_at: datetime
    available_at: datetime | None
    denial_provision: str | None
    denial_reason: str | None
    grounds_requested_at: datetime | None
    grounds_given_at: datetime | None
    fee_estimate_cents: int | None
    fee_details: dict[str, Any]
    prepayment_required: bool
    prepayment_received_at: datetime | None
    clocks: list[ClockOut]
    items: list[ItemOut]
    verifications: list[VerificationOut]
    deliveries: list[DeliveryOut]
    timeline: list[EventOut]
    emails: list[EmailOut]


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="The new status", max_length=40)
    message: str | None = Field(
        default=None,
        max_length=5000,
        description="To the requester: the question, the delay's detailed explanation, "
        "or the denial's reason",
    )
    available_at: Timestamp | None = Field(
        default=None, description="Delay: the earliest date and time the record is available"
    )
    provision: str | None = Field(default=None, description="Denial: the provision cited")
    note: str | None = Field(default=None, max_length=2000, description="Staff only")


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: SmallId | None = None
    recording_id: SmallId | None = None
    why: str = Field(min_length=1, max_length=2000)
    nonpublic_location: StrictBool = False


class BulkExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_ids: list[SmallId] = Field(min_length=1, max_length=service.MAX_LIST)
    explanation: str = Field(min_length=1, max_length=5000)
    available_at: Timestamp


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_type: str = Field(max_length=60, description=", ".join(service.DOCUMENT_TYPES))
    relation: Literal["self", "guardian", "relative", "attorney", "insurer"]
    depicted_person: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)


class DeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recording_id: SmallId
    basis: Literal["610.100.3", "open-record", "released"] = Field(
        description="610.100.3: the original for a verified depicted person; open-record: "
        "the original of a linked recording; released: a redacted copy released under the "
        "release case of a linked incident"
    )
    days: Annotated[int, Field(ge=1, le=365)] | None = None


class Delivered(BaseModel):
    delivery: DeliveryOut
    link: str = Field(description="The share link (shown once; also emailed to the requester)")


class FeesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    search_hours: float = Field(ge=0, le=fees.MAX_HOURS)
    review_hours: float = Field(ge=0, le=fees.MAX_HOURS)
    recordings: int = Field(ge=0, le=100_000)
    prepayment: StrictBool = False


class GroundsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000)


class CandidateRecording(BaseModel):
    id: int
    title: str | None
    recorded_at: datetime | None
    officer_id: int | None


class CandidateIncident(BaseModel):
    id: int
    cad_number: str
    type: str
    started_at: datetime
    location: str | None


class Candidates(BaseModel):
    recordings: list[CandidateRecording]
    incidents: list[CandidateIncident]
