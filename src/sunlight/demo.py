"""Demo data: officers, donor-funded cameras, recordings (one with faces, to redact), incidents,
a CAD export to import, a demo witness and a demo C2PA signing key.

Every demo clip, incident and CAD call is dated on ``DEMO_DAY`` (8 May 2026), so the
README's examples (``compliance report --month 2026-05``, ``retention run --dry-run --as-of
2027-01-01``) stay true whenever the demo is loaded; records requests are dated relative to
the demo's clock (``today``: when it is loaded), so the open ones are not overdue. The
statistics data (``demo_stats.py``) fills the twelve months up to ``today``, the range
``/public/stats`` shows by default, so its charts are full whenever the demo is loaded (a
test pins ``today`` for known dates). The demo is loaded today, so each demo clip counts
as a late upload in May's compliance report, and recordings no incident claims fall due
under the 180-day non-evidentiary rule (a running ``serve`` schedules them for deletion).

Idempotent: officers and cameras are matched by badge and serial, clips by file name,
incidents by CAD number; keys already in place are kept.

Everything written under ``SUNLIGHT_HOME/demo/`` and the demo C2PA key are **demo-only**:

- ``demo/clips/``: the files the demo ingested (``sunlight verify`` them);
- ``demo/dock/``: a dock folder with one clip not yet ingested (``sunlight ingest`` it);
- ``demo/calls.csv``: a CAD export (``sunlight import cad``);
- ``demo/witness/``: a demo witness key that cosigns the demo's checkpoints;
- ``keys/log.vkey``: the log's public verifier key (what ``verify --log-key`` pins);
- ``c2pa/``: a demo certificate chain for signing redacted copies, not for evidence;
- one demo account per role, all with the password ``sunlight-demo-only`` and a TOTP second
  factor whose current code ``sunlight demo totp USERNAME`` prints (``demo_accounts.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sunlight.access.principal import Principal
from sunlight.demo_accounts import ensure_demo_accounts, ensure_demo_scenarios
from sunlight.demo_captions import ensure_demo_captions
from sunlight.demo_policies import ensure_demo_policies
from sunlight.demo_requests import (
    ensure_demo_pending,
    ensure_demo_release,
    ensure_demo_requests,
)
from sunlight.demo_stats import ensure_demo_stats
from sunlight.evidence import service
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.evidence.models import Device, Officer, Recording
from sunlight.incidents import service as incidents
from sunlight.incidents.models import Incident
from sunlight.ledger import checkpoints, cosign, log_identity, witness, witness_trust
from sunlight.ledger.config import read_secret
from sunlight.ledger.verify import cosign_checkpoint, open_checkpoint
from sunlight.media.synth import ContainerName, make_clip
from sunlight.redaction import provenance
from sunlight.runtime import Runtime

DEMO_ACTOR = Principal.system("demo").id

# The demo's fixed anchor: every demo recording, incident and CAD call happens on this day.
DEMO_DAY = datetime(2026, 5, 8, tzinfo=UTC)
DEMO_MONTH = "2026-05"

# Labels that make demo keys impossible to mistake for real ones.
DEMO_WITNESS_NAME = "demo-only.witness.invalid"
DEMO_C2PA_ORGANISATION = "DEMO ONLY - Sunlight demo data - not for evidence"

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

# (file name, camera serial, minutes after 14:00 UTC on the demo day, container, codec, title,
# notes), in ingest order: on a fresh demo these are recordings 1 to 5.
CLIPS: list[tuple[str, str, int, ContainerName, str, str, str]] = [
    (
        "BWC0417_traffic_stop.mp4",
        "PAN-BWC-000417",
        0,
        "mp4",
        "h264",
        "Traffic stop, Troost Ave",
        "Routine stop; driver cited for expired tags.",
    ),
    (
        "BWC0512_call_for_service.mp4",
        "PAN-BWC-000512",
        60,
        "mp4",
        "h264",
        "Call for service, disturbance",
        "Neighbour dispute; no arrest.",
    ),
    (
        "BWC0398_assembly.mkv",
        "PAN-BWC-000398",
        120,
        "mkv",
        "h264",
        "Assembly at City Hall",
        "Peaceful demonstration; officer on crowd-control detail.",
    ),
    (
        "ICV0620_pursuit.mov",
        "PAN-ICV-000620",
        180,
        "mov",
        "h264",
        "In-car: vehicle pursuit",
        "Lights and siren activated; pursuit terminated by supervisor.",
    ),
    (
        "BWC0417_welfare_check.webm",
        "PAN-BWC-000417",
        240,
        "webm",
        "vp9",
        "Welfare check",
        "Exported from a vendor tool as WebM.",
    ),
]

# Recording 6 on a fresh demo: people's faces, for `sunlight redact 6`.
FACES_CLIP = "BWC0398_sidewalk_interviews.mp4"
FACES_RECORDING_ID = 6
# Recording 7: a clip cut off mid-write by a failing camera, flagged unplayable.
BROKEN_CLIP = "BWC0512_battery_died.mp4"
# Left in demo/dock/ for `sunlight ingest` (not ingested by the demo itself).
DOCK_CLIP = "BWC0417_foot_patrol.mp4"


def demo_folder(runtime: Runtime) -> Path:
    return runtime.settings.home / "demo"


def _at(minutes: int) -> datetime:
    return DEMO_DAY + timedelta(hours=14, minutes=minutes)


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


def _faces_clip(path: Path) -> None:
    """Four seconds of people on a sidewalk: real faces from scikit-image, moving."""
    from sunlight.redaction.synthetic import Clip, Face, write_clip

    frames = 60
    faces = [
        Face(0, 0, frames, 60, 60, 1.2, 0.2, 110, 90),
        Face(1, 0, frames, 420, 90, -1.0, 0.4, 70, 80),
        Face(2, 10, frames, 300, 220, 0.8, -0.6, 50, 56),
    ]
    write_clip(Clip(640, 360, frames, 15, faces, seed=3), path)


def _make_clips(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for seed, (name, _serial, minutes, container, codec, _title, _notes) in enumerate(CLIPS):
        if not (folder / name).exists():
            make_clip(
                folder / name,
                seconds=4.0,
                width=480,
                height=270,
                fps=15,
                container=container,
                video_codec=codec,
                audio=True,
                tone_hz=330 + 110 * seed,
                seed=seed,
                creation_time=_at(minutes),
                gps=(39.0997 + seed * 0.01, -94.5786 - seed * 0.01),
            )
    if not (folder / FACES_CLIP).exists():
        _faces_clip(folder / FACES_CLIP)
    if not (folder / BROKEN_CLIP).exists():
        make_clip(folder / "full.tmp.mp4", seconds=3.0, width=320, height=240, seed=99)
        data = (folder / "full.tmp.mp4").read_bytes()
        (folder / BROKEN_CLIP).write_bytes(data[: len(data) // 3])
        (folder / "full.tmp.mp4").unlink()


def _make_dock(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / DOCK_CLIP).exists():
        make_clip(
            folder / DOCK_CLIP,
            seconds=3.0,
            width=480,
            height=270,
            fps=15,
            audio=True,
            seed=41,
            creation_time=_at(300),
        )


def load_demo(
    runtime: Runtime,
    log: Callable[[str], None] = lambda _: None,
    *,
    today: datetime | None = None,
) -> dict[str, Any]:
    """Load the demo (idempotent); ``today`` is the demo's clock (now, when not given): the
    records requests are dated relative to it."""
    today = today or datetime.now(UTC)
    _ensure_registry(runtime)
    counts: dict[str, Any] = {"ingested": 0, "duplicates": 0, "flagged": 0}
    # Idempotent by name: encoders are not bit-for-bit reproducible across runs, so a
    # second run must not rely on identical hashes to recognise the demo clips.
    with runtime.db.session() as session:
        loaded = set(
            session.scalars(
                select(Recording.original_filename).where(Recording.ingest_source == "demo")
            )
        )
    folder = demo_folder(runtime)
    clips = folder / "clips"
    _make_clips(clips)
    _make_dock(folder / "dock")
    plan: list[tuple[str, IngestMetadata]] = [
        (
            name,
            IngestMetadata(
                original_filename=name,
                device_serial=serial,
                recorded_at=_at(minutes),
                title=title,
                notes=notes,
            ),
        )
        for name, serial, minutes, _c, _v, title, notes in CLIPS
    ]
    plan.append(
        (
            FACES_CLIP,
            IngestMetadata(
                original_filename=FACES_CLIP,
                device_serial="PAN-BWC-000398",
                recorded_at=_at(150),
                title="Witness interviews on the sidewalk",
                notes="Bystanders' faces are visible: redact before release (RSMo 610.100).",
            ),
        )
    )
    plan.append(
        (
            BROKEN_CLIP,
            IngestMetadata(
                original_filename=BROKEN_CLIP,
                device_serial="PAN-BWC-000512",
                recorded_at=_at(270),
                title="Camera battery failed mid-recording",
            ),
        )
    )
    for name, meta in plan:
        if name in loaded:
            counts["duplicates"] += 1
            continue
        log(f"demo clip {name}")
        result = ingest_file(runtime, clips / name, meta, actor=DEMO_ACTOR, source="demo")
        counts["ingested" if result.status == "ingested" else "duplicates"] += 1
        counts["flagged"] += int(result.flagged and result.status == "ingested")
    counts["incidents"] = _ensure_incidents(runtime)
    # One account per role, and the data that exercises the access rules (demo_accounts.py).
    ensure_demo_accounts(runtime)
    ensure_demo_scenarios(runtime)
    _write_calls(folder / "calls.csv")
    counts["c2pa_key"] = _ensure_c2pa_key(runtime)
    # A released copy (recording 6 redacted and reviewed) and records requests in several
    # states (demo_requests.py); the copy is signed with the C2PA key made just above.
    counts["released"] = ensure_demo_release(runtime, DEMO_DAY)
    ensure_demo_captions(runtime)  # approved captions on the released copy (demo_captions.py)
    # A release case waiting for the Highway Patrol's decision (the statistics' "pending
    # with an outside agency").
    counts["pending_outside"] = ensure_demo_pending(runtime, today)
    # demo_stats.py: a year of statistics up to the load day, what /public/stats shows; its
    # records requests are the year's older ones, so they are filed before the recent ones:
    # the public request log (filing order, newest first) then reads in date order
    counts["stats"] = ensure_demo_stats(runtime, today)
    counts["requests"] = ensure_demo_requests(runtime, DEMO_DAY, folder, today=today)
    counts["witness"] = _ensure_witness(runtime)
    counts["policy_proposals"] = ensure_demo_policies(runtime)
    return counts


# (CAD number, type, clips, minutes after 14:00, location, narrative, officers, unit,
#  hand to the Highway Patrol)
INCIDENTS: list[tuple[str, str, list[str], int, str, str, list[str], str, bool]] = [
    (
        "26-0508-0117",
        "traffic-stop",
        ["BWC0417_traffic_stop.mp4"],
        0,
        "Troost Ave & E 39th St",
        "Expired tags; citation issued.",
        ["4417"],
        "Central Patrol Division",
        False,
    ),
    (
        "26-0508-0203",
        "first-amendment-assembly",
        ["BWC0398_assembly.mkv", FACES_CLIP],
        120,
        "City Hall, 414 E 12th St",
        "Peaceful demonstration; officers on crowd-control detail.",
        ["3986"],
        "Metro Patrol Division",
        False,
    ),
    (
        "26-0508-0311",
        "officer-involved-shooting",
        ["ICV0620_pursuit.mov"],
        180,
        "I-70 & Prospect Ave",
        "Pursuit ended in an officer-involved shooting; investigated by the Missouri Highway "
        "Patrol.",
        ["6203"],
        "South Patrol Division",
        True,
    ),
    (
        # No officer's camera recorded this one: the compliance report lists it.
        "26-0508-0342",
        "arrest",
        [],
        200,
        "E 31st St & Prospect Ave",
        "Arrest on a warrant; the officer's camera was not activated.",
        ["5120"],
        "East Patrol Division",
        False,
    ),
]


def _ensure_incidents(runtime: Runtime) -> int:
    """Incidents on the demo day: one handed to the Highway Patrol, one with no footage."""
    created = 0
    with runtime.db.session() as session:
        for cad, kind, clips, minutes, location, narrative, badges, unit, hand_over in INCIDENTS:
            if session.scalar(select(Incident.id).where(Incident.cad_number == cad)):
                continue
            recordings = list(
                session.scalars(select(Recording).where(Recording.original_filename.in_(clips)))
            )
            if len(recordings) != len(clips):
                continue
            incident = incidents.create_incident(
                session,
                cad_number=cad,
                type=kind,
                actor=DEMO_ACTOR,
                location=location,
                unit=unit,
                narrative=narrative,
                officer_badges=badges,
                started_at=_at(minutes) - timedelta(minutes=5),
                ended_at=_at(minutes) + timedelta(minutes=40),
            )
            for recording in recordings:
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


CALLS_CSV = """cad_number,type,started_at,ended_at,location,unit,officers,narrative
26-0508-0455,call-for-service,2026-05-08T13:10:00-05:00,2026-05-08T13:40:00-05:00,\
Linwood Blvd & Main St,Central Patrol Division,4417,Noise complaint; no report
26-0508-0460,use-of-force,2026-05-08T14:20:00-05:00,2026-05-08T14:50:00-05:00,\
E 12th St & Grand Blvd,East Patrol Division,5120,Resisted a lawful arrest; takedown
"""


def _write_calls(path: Path) -> None:
    if not path.exists():
        path.write_text(CALLS_CSV, encoding="utf-8")


def _ensure_c2pa_key(runtime: Runtime) -> str:
    """A demo-only C2PA certificate chain, unless a department key is already in place."""
    home = runtime.settings.home
    if provenance.find_key(home) is not None:
        return "kept"
    folder = home / "c2pa"
    provenance.make_test_chain(folder, organisation=DEMO_C2PA_ORGANISATION)
    (folder / "DEMO-ONLY.txt").write_text(
        "This certificate chain was made by `sunlight demo`. It is for demonstrations only:\n"
        "copies signed with it are NOT evidence. Replace chain.pem and key.pem with the\n"
        "department's own key before real use (see docs/operators.md).\n",
        encoding="utf-8",
    )
    return "demo"


def _ensure_witness(runtime: Runtime) -> int:
    """A demo-only witness that cosigns the demo's latest checkpoint; returns its size.

    A real witness is an outside party running `sunlight witness run` on its own machine;
    this one lives in the demo folder so that `sunlight verify` has a cosignature to check.
    """
    state = demo_folder(runtime) / "witness"
    if (state / witness.KEY_FILE).exists():
        vkey = witness.verifier_key(state)
    else:
        vkey = witness.init(state, DEMO_WITNESS_NAME)
    witness_trust.add_witness(runtime, vkey, actor=DEMO_ACTOR)
    checkpoint = checkpoints.seal_and_checkpoint(runtime)
    ident = log_identity.identity(runtime)
    keys = runtime.settings.home / "keys"
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    (keys / "log.vkey").write_text(ident.verifier_key + "\n", encoding="utf-8")
    opened, _ = open_checkpoint(checkpoint.note, ident.verifier_key, origin=ident.origin)
    text = opened.format_checkpoint()
    signer = read_secret(state / witness.KEY_FILE)
    cosign.add_cosignature(runtime, text, cosign_checkpoint(text, signer, int(time.time())))
    return opened.size
