"""Finding and changing recordings, officers and cameras. Every change is a custody event."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from sunlight import errors
from sunlight.evidence.custody import Action, record
from sunlight.evidence.guards import Operation, refusal
from sunlight.evidence.models import Device, DeviceAssignment, Officer, Recording, RecordingFlag

RECORDING_STATUSES = ("playable", "unplayable", "flagged", "processing", "failed")
MAX_PER_PAGE = 200


# The families of sunlight.errors, under the names this domain has always used.
NotFound = errors.NotFound
InvalidChange = errors.InvalidChange
Conflict = errors.Conflict


class ChangeRefused(Conflict):
    """A registered change guard (outside custody, legal hold, ...) refuses the change (409)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_change(session: Session, recording_id: int, operation: Operation) -> None:
    """Raise ``ChangeRefused`` if any domain's guard refuses ``operation`` (see guards.py)."""
    reason = refusal(session, recording_id, operation)
    if reason:
        raise ChangeRefused(f"cannot {operation} recording {recording_id}: {reason}")


@dataclass(frozen=True)
class RecordingFilter:
    officer_id: int | None = None
    device_id: int | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    status: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in RECORDING_STATUSES:
            raise InvalidChange(f"status must be one of {', '.join(RECORDING_STATUSES)}")
        if self.recorded_from and self.recorded_to and self.recorded_from > self.recorded_to:
            raise InvalidChange("the date range ends before it starts")


@dataclass
class Page:
    items: list[Recording]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))


def _apply_filter(query: Select[Any], f: RecordingFilter) -> Select[Any]:
    if f.officer_id is not None:
        query = query.where(Recording.officer_id == f.officer_id)
    if f.device_id is not None:
        query = query.where(Recording.device_id == f.device_id)
    if f.recorded_from is not None:
        query = query.where(Recording.recorded_at >= f.recorded_from)
    if f.recorded_to is not None:
        query = query.where(Recording.recorded_at <= f.recorded_to)
    if f.status == "playable":
        query = query.where(Recording.playable.is_(True))
    elif f.status == "unplayable":
        query = query.where(Recording.playable.is_(False))
    elif f.status == "processing":
        query = query.where(Recording.derivatives_status == "pending")
    elif f.status == "failed":
        query = query.where(Recording.derivatives_status == "failed")
    elif f.status == "flagged":
        open_flag = select(RecordingFlag.id).where(
            RecordingFlag.recording_id == Recording.id, RecordingFlag.cleared_at.is_(None)
        )
        query = query.where(open_flag.exists())
    if f.text:
        like = f"%{f.text.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Recording.original_filename).like(like),
                func.lower(func.coalesce(Recording.title, "")).like(like),
                func.lower(func.coalesce(Recording.notes, "")).like(like),
                Recording.sha256.like(f.text.strip().lower() + "%"),
            )
        )
    return query


def list_recordings(
    session: Session,
    filters: RecordingFilter,
    *,
    page: int = 1,
    per_page: int = 25,
    where: ColumnElement[bool] | None = None,
) -> Page:
    """One page of recordings matching ``filters``. ``where`` is the caller's access scope
    (``access.visible(principal, Permission.RECORDING_LIST)``), applied before the count
    and the page, so totals and page counts are scoped too."""
    if page < 1:
        raise InvalidChange("page starts at 1")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidChange(f"per_page must be between 1 and {MAX_PER_PAGE}")
    base = _apply_filter(select(Recording), filters)
    if where is not None:
        base = base.where(where)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = session.scalars(
        base.options(
            selectinload(Recording.officer),
            selectinload(Recording.device),
            selectinload(Recording.flags),
        )
        .order_by(Recording.recorded_at.desc().nulls_last(), Recording.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(list(items), total, page, per_page)


def get_recording(session: Session, recording_id: int) -> Recording:
    recording = session.get(
        Recording,
        recording_id,
        options=[
            selectinload(Recording.officer),
            selectinload(Recording.device),
            selectinload(Recording.flags),
        ],
    )
    if recording is None:
        raise NotFound(f"no recording {recording_id}")
    return recording


EDITABLE_FIELDS = {"title", "notes", "officer_id", "device_id", "recorded_at"}


def update_recording(
    session: Session, recording_id: int, changes: dict[str, Any], *, actor: str, reason: str
) -> Recording:
    """Change descriptive metadata (never the bytes); the event keeps before and after."""
    if not reason or not reason.strip():
        raise InvalidChange("a metadata change needs a reason")
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidChange(f"cannot change {sorted(unknown)}; editable: {sorted(EDITABLE_FIELDS)}")
    recording = get_recording(session, recording_id)
    check_change(session, recording_id, Operation.ALTER)
    officer_id, device_id = changes.get("officer_id"), changes.get("device_id")
    if officer_id is not None and session.get(Officer, officer_id) is None:
        raise InvalidChange(f"no officer {officer_id}")
    if device_id is not None and session.get(Device, device_id) is None:
        raise InvalidChange(f"no camera {device_id}")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(recording, name)
        if old == value:
            continue
        before[name] = old.isoformat() if isinstance(old, datetime) else old
        after[name] = value.isoformat() if isinstance(value, datetime) else value
        setattr(recording, name, value)
    if "recorded_at" in after:
        recording.recorded_at_source = "operator"
    if after:
        record(
            session,
            actor=actor,
            action=Action.METADATA_CHANGE,
            object_type="recording",
            object_id=recording.id,
            reason=reason,
            details={"before": before, "after": after},
        )
    session.flush()
    return recording


def flag_recording(
    session: Session, recording_id: int, *, kind: str, reason: str, actor: str
) -> RecordingFlag:
    if not reason or not reason.strip():
        raise InvalidChange("a flag needs a reason")
    if not kind or len(kind) > 40:
        raise InvalidChange("flag kind must be 1-40 characters")
    recording = get_recording(session, recording_id)
    check_change(session, recording_id, Operation.FLAG)
    flag = RecordingFlag(recording=recording, kind=kind, reason=reason, created_by=actor)
    session.add(flag)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.FLAG,
        object_type="recording",
        object_id=recording.id,
        reason=reason,
        details={"kind": kind, "flag_id": flag.id},
    )
    return flag


def clear_flag(
    session: Session, recording_id: int, flag_id: int, *, actor: str, reason: str, now: datetime
) -> RecordingFlag:
    if not reason or not reason.strip():
        raise InvalidChange("clearing a flag needs a reason")
    flag = session.get(RecordingFlag, flag_id)
    if flag is None or flag.recording_id != recording_id:
        raise NotFound(f"no flag {flag_id} on recording {recording_id}")
    if flag.cleared_at is not None:
        raise InvalidChange("flag already cleared")
    check_change(session, recording_id, Operation.FLAG)
    flag.cleared_at = now
    flag.cleared_by = actor
    record(
        session,
        actor=actor,
        action=Action.UNFLAG,
        object_type="recording",
        object_id=recording_id,
        reason=reason,
        details={"kind": flag.kind, "flag_id": flag.id, "cleared_at": flag.cleared_at.isoformat()},
    )
    return flag


# -- officers and cameras -------------------------------------------------------------


def list_officers(session: Session) -> list[Officer]:
    return list(session.scalars(select(Officer).order_by(Officer.badge_number)))


def list_devices(session: Session) -> list[Device]:
    return list(
        session.scalars(
            select(Device)
            .options(selectinload(Device.assignments).selectinload(DeviceAssignment.officer))
            .order_by(Device.serial)
        )
    )


def create_officer(
    session: Session, *, badge_number: str, name: str, unit: str | None, actor: str
) -> Officer:
    badge_number = badge_number.strip()
    if not badge_number or not name.strip():
        raise InvalidChange("an officer needs a badge number and a name")
    if session.scalar(select(Officer).where(Officer.badge_number == badge_number)):
        raise Conflict(f"badge number {badge_number} already exists")
    officer = Officer(badge_number=badge_number, name=name.strip(), unit=unit)
    session.add(officer)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.METADATA_CHANGE,
        object_type="officer",
        object_id=officer.id,
        details={"created": {"badge_number": badge_number, "unit": unit}},
    )
    return officer


def create_device(
    session: Session,
    *,
    serial: str,
    vendor: str,
    model: str,
    kind: str = "body",
    funding_source: str | None = None,
    actor: str,
) -> Device:
    serial = serial.strip()
    if not serial or not vendor.strip() or not model.strip():
        raise InvalidChange("a camera needs a serial number, vendor and model")
    if kind not in {"body", "in-car"}:
        raise InvalidChange("camera kind must be 'body' or 'in-car'")
    if session.scalar(select(Device).where(Device.serial == serial)):
        raise Conflict(f"serial number {serial} already exists")
    device = Device(
        serial=serial, vendor=vendor, model=model, kind=kind, funding_source=funding_source
    )
    session.add(device)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.METADATA_CHANGE,
        object_type="device",
        object_id=device.id,
        details={"created": {"serial": serial, "vendor": vendor, "model": model}},
    )
    return device


def assign_device(
    session: Session, *, device_id: int, officer_id: int, at: datetime, actor: str
) -> DeviceAssignment:
    """Hand a camera to an officer, closing the previous holder's assignment at ``at``."""
    device = session.get(Device, device_id)
    officer = session.get(Officer, officer_id)
    if device is None or officer is None:
        raise NotFound("no such camera or officer")
    current = session.scalar(
        select(DeviceAssignment).where(
            DeviceAssignment.device_id == device_id, DeviceAssignment.ended_at.is_(None)
        )
    )
    if current is not None:
        if current.started_at > at:
            raise InvalidChange("the new assignment starts before the current one")
        current.ended_at = at
    assignment = DeviceAssignment(device=device, officer=officer, started_at=at)
    session.add(assignment)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.METADATA_CHANGE,
        object_type="device",
        object_id=device.id,
        details={"assigned_to": officer.badge_number, "at": at.isoformat()},
    )
    return assignment


DEVICE_STATUSES = ("in-service", "spare", "in-repair", "lost", "retired")


def set_device_status(
    session: Session, device_id: int, *, status: str, actor: str, reason: str
) -> Device:
    """Change a camera's fleet status (in service, spare, in repair, lost, retired)."""
    if status not in DEVICE_STATUSES:
        raise InvalidChange(f"camera status must be one of {', '.join(DEVICE_STATUSES)}")
    if not reason or not reason.strip():
        raise InvalidChange("a camera status change needs a reason")
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no camera {device_id}")
    if device.status != status:
        before = device.status
        device.status = status
        record(
            session,
            actor=actor,
            action=Action.METADATA_CHANGE,
            object_type="device",
            object_id=device.id,
            reason=reason.strip(),
            details={"before": {"status": before}, "after": {"status": status}},
        )
    return device


def last_upload_by_device(session: Session) -> dict[int, datetime]:
    rows = session.execute(
        select(Recording.device_id, func.max(Recording.ingested_at))
        .where(Recording.device_id.is_not(None))
        .group_by(Recording.device_id)
    ).all()
    return {device_id: when for device_id, when in rows if device_id is not None}
