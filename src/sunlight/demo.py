"""Demo data: officers, donor-funded cameras and short generated recordings with audio.

Idempotent: officers and cameras are matched by badge and serial, clips by file name,
incidents by CAD number.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sunlight.evidence import service
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.evidence.models import Device, Officer, Recording
from sunlight.media.synth import ContainerName, make_clip
from sunlight.runtime import Runtime

DEMO_ACTOR = "system:demo"

OFFICERS = [
    ("4417", "Dana Whitfield", "Central Patrol Division"),
    ("5120", "Marcus Ortega", "East Patrol Division"),
    ("3986", "Priya Raman", "Metro Patrol Division"),
    ("6203", "Samuel Okafor", "South Patrol Division"),
]

CAMERAS = [
    ("PAN-BWC-000417", "Panasonic", "Arbitrator BWC", "body", "DeBruce Foundation grant"),
    ("PAN-BWC-000512", "Panasonic", "Arbitrator BWC", "body", "DeBruce Foundation grant"),
    (
        "PAN-BWC-000398",
        "Panasonic",
        "Arbitrator BWC",
        "body",
        "Private donors (KC Police Foundation)",
    ),
    (
        "PAN-ICV-000620",
        "Panasonic",
        "Arbitrator 360 HD",
        "in-car",
        "Private donors (KC Police Foundation)",
    ),
]

# (file name, camera serial, minutes before now, container, codec, title, notes)
CLIPS: list[tuple[str, str, int, ContainerName, str, str, str]] = [
    (
        "BWC0417_traffic_stop.mp4",
        "PAN-BWC-000417",
        300,
        "mp4",
        "h264",
        "Traffic stop, Troost Ave",
        "Routine stop; driver cited for expired tags.",
    ),
    (
        "BWC0512_call_for_service.mp4",
        "PAN-BWC-000512",
        240,
        "mp4",
        "h264",
        "Call for service, disturbance",
        "Neighbour dispute; no arrest.",
    ),
    (
        "BWC0398_assembly.mkv",
        "PAN-BWC-000398",
        180,
        "mkv",
        "h264",
        "Assembly at City Hall",
        "Peaceful demonstration; officer on crowd-control detail.",
    ),
    (
        "ICV0620_pursuit.mov",
        "PAN-ICV-000620",
        120,
        "mov",
        "h264",
        "In-car: vehicle pursuit",
        "Lights and siren activated; pursuit terminated by supervisor.",
    ),
    (
        "BWC0417_welfare_check.webm",
        "PAN-BWC-000417",
        60,
        "webm",
        "vp9",
        "Welfare check",
        "Exported from a vendor tool as WebM.",
    ),
]


def _ensure_registry(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        for badge, name, unit in OFFICERS:
            if not session.scalar(select(Officer).where(Officer.badge_number == badge)):
                service.create_officer(
                    session, badge_number=badge, name=name, unit=unit, actor=DEMO_ACTOR
                )
        for serial, vendor, model, kind, funding in CAMERAS:
            if not session.scalar(select(Device).where(Device.serial == serial)):
                service.create_device(
                    session,
                    serial=serial,
                    vendor=vendor,
                    model=model,
                    kind=kind,
                    funding_source=funding,
                    actor=DEMO_ACTOR,
                )
    with runtime.db.session() as session:
        start = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
        pairs = list(zip([c[0] for c in CAMERAS], ["4417", "5120", "3986", "6203"], strict=True))
        for serial, badge in pairs:
            device = session.scalar(select(Device).where(Device.serial == serial))
            officer = session.scalar(select(Officer).where(Officer.badge_number == badge))
            if device is None or officer is None:
                raise RuntimeError(f"demo registry incomplete: {serial} / {badge}")
            if not device.assignments:
                service.assign_device(
                    session, device_id=device.id, officer_id=officer.id, at=start, actor=DEMO_ACTOR
                )


def load_demo(runtime: Runtime, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    _ensure_registry(runtime)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    counts = {"ingested": 0, "duplicates": 0, "flagged": 0}
    # Idempotent by name: encoders are not bit-for-bit reproducible across runs, so a
    # second run must not rely on identical hashes to recognise the demo clips.
    with runtime.db.session() as session:
        loaded = set(
            session.scalars(
                select(Recording.original_filename).where(Recording.ingest_source == "demo")
            )
        )
    with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
        folder = Path(scratch)
        for seed, (name, serial, minutes, container, codec, title, notes) in enumerate(CLIPS):
            if name in loaded:
                counts["duplicates"] += 1
                continue
            path = folder / name
            make_clip(
                path,
                seconds=4.0,
                width=480,
                height=270,
                fps=15,
                container=container,
                video_codec=codec,
                audio=True,
                tone_hz=330 + 110 * seed,
                seed=seed,
                creation_time=datetime(2026, 5, 8, 14, 0, tzinfo=UTC) + timedelta(hours=seed),
                gps=(39.0997 + seed * 0.01, -94.5786 - seed * 0.01),
            )
            log(f"demo clip {name}")
            meta = IngestMetadata(
                original_filename=name,
                device_serial=serial,
                recorded_at=now - timedelta(minutes=minutes),
                title=title,
                notes=notes,
            )
            result = ingest_file(runtime, path, meta, actor=DEMO_ACTOR, source="demo")
            counts["ingested" if result.status == "ingested" else "duplicates"] += 1
        # A clip cut off mid-write by a failing camera: still evidence, flagged unplayable.
        broken = folder / "BWC0512_battery_died.mp4"
        if broken.name in loaded:
            counts["duplicates"] += 1
        else:
            make_clip(folder / "full.mp4", seconds=3.0, width=320, height=240, seed=99)
            data = (folder / "full.mp4").read_bytes()
            broken.write_bytes(data[: len(data) // 3])
            meta = IngestMetadata(
                original_filename=broken.name,
                device_serial="PAN-BWC-000512",
                recorded_at=now - timedelta(minutes=30),
                title="Camera battery failed mid-recording",
            )
            result = ingest_file(runtime, broken, meta, actor=DEMO_ACTOR, source="demo")
            counts["ingested" if result.status == "ingested" else "duplicates"] += 1
            counts["flagged"] += int(result.flagged and result.status == "ingested")
    counts["incidents"] = _ensure_incidents(runtime)
    return counts


# (CAD number, type, clip, location, narrative, hand to the Highway Patrol)
INCIDENTS = [
    (
        "26-0508-0117",
        "traffic-stop",
        "BWC0417_traffic_stop.mp4",
        "Troost Ave & E 39th St",
        "Expired tags; citation issued.",
        False,
    ),
    (
        "26-0508-0203",
        "first-amendment-assembly",
        "BWC0398_assembly.mkv",
        "City Hall, 414 E 12th St",
        "Peaceful demonstration; officers on crowd-control detail.",
        False,
    ),
    (
        "26-0508-0311",
        "officer-involved-shooting",
        "ICV0620_pursuit.mov",
        "I-70 & Prospect Ave",
        "Pursuit ended in an officer-involved shooting; investigated by the Missouri Highway "
        "Patrol.",
        True,
    ),
]


def _ensure_incidents(runtime: Runtime) -> int:
    """A few incidents over the demo clips, one handed to the Highway Patrol."""
    from sunlight.incidents import service as incidents
    from sunlight.incidents.models import Incident

    created = 0
    with runtime.db.session() as session:
        for cad, kind, clip, location, narrative, hand_over in INCIDENTS:
            if session.scalar(select(Incident.id).where(Incident.cad_number == cad)):
                continue
            recording = session.scalar(select(Recording).where(Recording.original_filename == clip))
            if recording is None or recording.recorded_at is None:
                continue
            badges = [recording.officer.badge_number] if recording.officer else []
            incident = incidents.create_incident(
                session,
                cad_number=cad,
                type=kind,
                actor=DEMO_ACTOR,
                location=location,
                narrative=narrative,
                officer_badges=badges,
                started_at=recording.recorded_at - timedelta(minutes=5),
                ended_at=recording.recorded_at + timedelta(minutes=15),
            )
            incidents.link_recording(
                session, incident.id, recording.id, actor=DEMO_ACTOR, how="suggested"
            )
            if hand_over:
                incidents.assign_to_agency(
                    session,
                    incident.id,
                    actor=DEMO_ACTOR,
                    reason="Officer-involved shooting: investigated by the Missouri Highway Patrol",
                )
            created += 1
    return created
