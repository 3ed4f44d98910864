"""Demo data for the public statistics (``/public/stats``), so that every chart has
something above the small-number threshold: cameras with their funding sources, officers
in two patrol units, a year of recordings (metadata and a few placeholder bytes, not
video: they are marked unplayable and say so), incidents with and without footage, records
requests answered over the months, and accesses to footage with their stated purposes.

Dates are the twelve months up to ``now``, the demo's clock (the day it is loaded, which
``sunlight demo`` takes from the wall clock and a test may pin): the statistics page shows
the last 12 months by default, so whenever the demo is loaded every chart of that default
range has something (a demo dated on a fixed day would fall out of the range a year on).
The accesses to footage with their stated purposes are custody events stamped at ``now``
too (at load time, as the custody log wants: it refuses events backdated behind newer
ones); the ingests and links are stamped when appended.
Idempotent: nothing is added when the first demo camera of this module already exists.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sunlight.access.models import User, UserRole
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.evidence.models import Device, Officer, Recording
from sunlight.incidents import service as incidents
from sunlight.incidents.models import Incident, IncidentRecording
from sunlight.requests import service as requests
from sunlight.requests.states import Status
from sunlight.runtime import Runtime

ACTOR = "system:demo"
SERIAL = "DEMO-STATS-{:03d}"
FUNDING = (
    ("Public Safety Foundation grant (donor-funded)", 9),
    ("City general fund", 7),
    ("U.S. DOJ body-worn camera grant", 6),
)
#: (badge, name, unit): fictional officers of two patrol units
OFFICERS = (
    ("7101", "Dana Whitfield", "Central Patrol Division"),
    ("7102", "Marcus Bell", "Central Patrol Division"),
    ("7103", "Priya Natarajan", "Central Patrol Division"),
    ("7201", "Tomás Reyes", "Metro Patrol Division"),
    ("7202", "Hannah Kowalski", "Metro Patrol Division"),
    ("7203", "Jerome Fields", "Metro Patrol Division"),
)
TYPES = ("traffic-stop", "call-for-service", "arrest")
#: (role, purpose text, views, on the assembly footage)
ACCESSES = (
    ("records-custodian", "records-request: R-2026 review", 8, False),
    ("supervisor", "supervisory-review: monthly sample", 6, False),
    ("officer", "report-writing: incident report", 7, False),
    ("internal-affairs", "complaint: IA-2026-031", 6, True),
    ("outside-investigator", "criminal-investigation: MSHP case", 5, True),
    ("civilian-oversight", "complaint: OCC-2026-0042", 2, True),
)


def ensure_demo_stats(runtime: Runtime, now: datetime) -> int:
    """Add the statistics demo data once, dated in the twelve months up to ``now`` (the
    demo's clock); returns how many recordings it added."""
    with runtime.db.session(read_only=True) as session:
        if session.scalar(select(Device.id).where(Device.serial == SERIAL.format(1))):
            return 0
    _cameras(runtime)
    officers = _officers(runtime)
    added = _year(runtime, officers, now)
    _requests(runtime, now)
    _accesses(runtime, now)
    return added


def _cameras(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        n = 0
        for source, count in FUNDING:
            for _ in range(count):
                n += 1
                kind = "in-car" if n % 5 == 0 else "body"
                session.add(
                    Device(
                        serial=SERIAL.format(n),
                        vendor="Axon" if n % 2 else "Motorola",
                        model="Body 4" if kind == "body" else "Fleet 3",
                        kind=kind,
                        funding_source=source,
                    )
                )
        session.flush()
        record(
            session,
            actor=ACTOR,
            action=Action.METADATA_CHANGE,
            object_type="device",
            object_id=SERIAL.format(1),
            details={"demo": f"{n} cameras added for the statistics demo"},
        )


def _officers(runtime: Runtime) -> list[tuple[int, str]]:
    found = []
    with runtime.db.session() as session:
        for badge, name, unit in OFFICERS:
            officer = session.scalar(select(Officer).where(Officer.badge_number == badge))
            if officer is None:
                officer = Officer(badge_number=badge, name=name, unit=unit)
                session.add(officer)
                session.flush()
            found.append((officer.id, badge))
    return found


def _recording(runtime: Runtime, officer_id: int, at: datetime, minutes: int) -> int:
    data = f"sunlight demo statistics placeholder {officer_id} {at.isoformat()}".encode()
    stored = runtime.store.put_stream(io.BytesIO(data))
    with runtime.db.session() as session:
        recording = Recording(
            sha256=stored.sha256,
            size_bytes=len(data),
            original_filename=f"DEMO_STATS_{officer_id}_{at:%Y%m%d%H%M}.mp4",
            title="Demo statistics placeholder (metadata only, no video)",
            officer_id=officer_id,
            recorded_at=at,
            recorded_at_source="operator",
            ingested_at=at + timedelta(hours=6),
            ingest_source="demo",
            playable=False,
            unplayable_reason="demo statistics placeholder: metadata only, no video",
            duration_s=float(minutes * 60),
            derivatives_status="unavailable",
        )
        session.add(recording)
        session.flush()
        record(
            session,
            actor=ACTOR,
            action=Action.INGEST,
            object_type="recording",
            object_id=recording.id,
            details={"sha256": stored.sha256, "demo": "statistics placeholder"},
        )
        return recording.id


def _year(runtime: Runtime, officers: list[tuple[int, str]], now: datetime) -> int:
    """Twelve months: each with eight recordings and three incidents of two officers;
    the second officer of every third incident has no footage."""
    added = 0
    n = 0
    for month in range(12):
        base = (now - timedelta(days=30 * month + 3)).replace(
            hour=15, minute=0, second=0, microsecond=0
        )
        base = base.astimezone(UTC)
        for i in range(8):
            officer_id, _ = officers[(month + i) % len(officers)]
            _recording(runtime, officer_id, base - timedelta(days=i, hours=i), 20 + 5 * i)
            added += 1
        for j in range(3):
            n += 1
            started = base - timedelta(days=10 + j, hours=2)
            first = officers[(month + j) % len(officers)]
            second = officers[(month + j + 3) % len(officers)]
            with runtime.db.session() as session:
                incident = incidents.create_incident(
                    session,
                    cad_number=f"DS-{started:%y%m}-{n:04d}",
                    type=TYPES[(month + j) % len(TYPES)],
                    started_at=started,
                    ended_at=started + timedelta(minutes=40),
                    officer_badges=[first[1], second[1]],
                    actor=ACTOR,
                    investigation_status="none",
                )
                incident_id = incident.id
            recording_id = _recording(runtime, first[0], started + timedelta(minutes=2), 35)
            added += 1
            with runtime.db.session() as session:
                incidents.link_recording(session, incident_id, recording_id, actor=ACTOR)
            if j != 2:
                _recording(runtime, second[0], started + timedelta(minutes=3), 30)
                added += 1
    return added


def _requests(runtime: Runtime, now: datetime) -> None:
    """Sixteen requests over the year: most answered within days, some denied, a few
    still open (and overdue). All are older than the demo requesters' (``demo_requests``:
    at most 20 days old), and filed first, so filing order is date order."""
    for k in reversed(range(16)):  # oldest first: filed in the order they were received
        received = (now - timedelta(days=20 * k + 25)).replace(hour=16, minute=0)
        with runtime.db.session() as session:
            request, _ = requests.file_request(
                session,
                name=f"Demo requester {k + 1}",
                email=f"stats-demo-{k + 1}@demo.invalid",
                requester_type="media" if k % 3 == 0 else "public",
                description="Body-worn camera footage of a traffic stop (statistics demo).",
                now=received,
            )
            answered = received + timedelta(days=1 + k % 4)
            if k < 3:
                continue  # left open: overdue by now
            if k % 7 == 3:
                requests.transition(
                    session,
                    request,
                    Status.DENIED,
                    actor=ACTOR,
                    now=answered,
                    message="The investigation of the incident is active.",
                    provision="RSMo 610.100.2(1)",
                )
            else:
                requests.transition(session, request, Status.FULFILLED, actor=ACTOR, now=answered)


def _accesses(runtime: Runtime, now: datetime) -> None:
    """Views with their stated purposes, and refused attempts, at ``now``."""
    with runtime.db.session() as session:
        users = {
            role: user_id
            for user_id, role in session.execute(
                select(User.id, UserRole.role).join(UserRole, UserRole.user_id == User.id)
            )
        }
        assembly = session.scalars(
            select(IncidentRecording.recording_id)
            .join(Incident, Incident.id == IncidentRecording.incident_id)
            .where(Incident.type == "first-amendment-assembly")
            .order_by(IncidentRecording.recording_id)
        ).first()
        other = session.scalars(
            select(Recording.id).where(Recording.ingest_source == "demo").order_by(Recording.id)
        ).first()
        for role, reason, views, on_assembly in ACCESSES:
            user_id = users.get(role)
            target = assembly if on_assembly else other
            if user_id is None or target is None:
                continue
            for _ in range(views):
                record(
                    session,
                    actor=f"user:{user_id}",
                    action=Action.VIEW,
                    object_type="recording",
                    object_id=target,
                    reason=reason,
                    details={"rule": "demo", "demo": "statistics"},
                    at=now,
                )
        officer = users.get("officer")
        if officer is not None and assembly is not None:
            for _ in range(3):
                record(
                    session,
                    actor=f"user:{officer}",
                    action=Action.ACCESS_DENIED,
                    object_type="recording",
                    object_id=assembly,
                    outcome=Outcome.DENIED,
                    reason="curious about the protest",
                    details={"rule": "first-amendment-purpose", "demo": "statistics"},
                    at=now,
                )
