"""Demo data: officers, donor-funded cameras and short generated recordings with audio.

Idempotent: officers and cameras are matched by badge and serial, and the clips are
generated deterministically, so a second run finds them all already in custody.
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
from sunlight.evidence.models import Device, Officer
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
    with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
        folder = Path(scratch)
        for seed, (name, serial, minutes, container, codec, title, notes) in enumerate(CLIPS):
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
    return counts
