"""The camera fleet: status, funding, docks, who carries each camera, last upload.

Cameras and their assignments are evidence-core records (``evidence.service``); this module
adds docks and the fleet view that compliance work needs (which cameras have gone quiet).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.compliance.models import DeviceDock, Dock
from sunlight.evidence import service as evidence
from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import Device
from sunlight.evidence.service import InvalidChange, NotFound


def list_docks(session: Session) -> list[Dock]:
    return list(session.scalars(select(Dock).order_by(Dock.name)))


def create_dock(
    session: Session, *, name: str, location: str | None, unit: str | None, actor: str
) -> Dock:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidChange("a dock needs a name of 1-100 characters")
    if session.scalar(select(Dock.id).where(Dock.name == name)):
        raise InvalidChange(f"dock {name!r} already exists")
    dock = Dock(
        name=name, location=(location or "").strip() or None, unit=(unit or "").strip() or None
    )
    session.add(dock)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.METADATA_CHANGE,
        object_type="dock",
        object_id=dock.id,
        details={"created": {"name": dock.name, "location": dock.location, "unit": dock.unit}},
    )
    return dock


def assign_dock(
    session: Session, *, device_id: int, dock_id: int, actor: str, now: datetime
) -> DeviceDock:
    device = session.get(Device, device_id)
    dock = session.get(Dock, dock_id)
    if device is None or dock is None:
        raise NotFound("no such camera or dock")
    current = session.get(DeviceDock, device_id)
    before = current.dock.name if current else None
    if current is None:
        current = DeviceDock(device_id=device_id, dock_id=dock_id, since=now)
        session.add(current)
    elif current.dock_id == dock_id:
        return current
    else:
        current.dock_id = dock_id
        current.since = now
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.METADATA_CHANGE,
        object_type="device",
        object_id=device_id,
        details={"before": {"dock": before}, "after": {"dock": dock.name}},
    )
    session.expire(current, ["dock"])
    return current


def fleet(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Every camera with its status, funding, dock, holder and last upload; and totals by
    status and funding source (no names: publishable)."""
    now = now or datetime.now(UTC)
    last = evidence.last_upload_by_device(session)
    docks = {dd.device_id: dd.dock for dd in session.scalars(select(DeviceDock))}
    cameras = []
    for device in evidence.list_devices(session):
        holder = next((a for a in device.assignments if a.ended_at is None), None)
        uploaded = last.get(device.id)
        dock = docks.get(device.id)
        cameras.append(
            {
                "id": device.id,
                "serial": device.serial,
                "vendor": device.vendor,
                "model": device.model,
                "kind": device.kind,
                "status": device.status,
                "funding_source": device.funding_source,
                "dock": dock.name if dock else None,
                "holder": (
                    {"badge_number": holder.officer.badge_number, "name": holder.officer.name}
                    if holder
                    else None
                ),
                "assignments": [
                    {
                        "badge_number": a.officer.badge_number,
                        "started_at": a.started_at.isoformat(),
                        "ended_at": a.ended_at.isoformat() if a.ended_at else None,
                    }
                    for a in device.assignments
                ],
                "last_upload_at": uploaded.isoformat() if uploaded else None,
                "days_since_upload": (now - uploaded).days if uploaded else None,
            }
        )
    return {
        "cameras": cameras,
        "public": {
            "publishable": True,
            "cameras": len(cameras),
            "by_status": dict(Counter(c["status"] for c in cameras)),
            "by_funding_source": dict(
                Counter(c["funding_source"] or "(not recorded)" for c in cameras)
            ),
        },
    }
