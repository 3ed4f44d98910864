"""Demo records requests and a demo release (``sunlight demo``), so that a newcomer finds
``/requests``, ``/releases`` and ``/api/public/releases`` with something in them.

- The assembly at City Hall (26-0508-0203, the department's own release decision) has a
  release case RELEASED: recording 6 (faces on the sidewalk) redacted by the detector and the
  renderer, the copy reviewed against its plan version and released by the demo custodian.
- The officer-involved shooting (26-0508-0311, investigated by the Missouri Highway Patrol)
  has a release case READY: its investigation is now inactive, the in-car video is redacted
  and reviewed, and the decision waits with the Highway Patrol (the statistics' "pending with
  an outside agency").
- Ten records requests, one in each state a request can be in: received, acknowledged,
  clarification requested, in progress, delayed, fulfilled (with the released copy sent to
  the requester), partially fulfilled, denied (citing RSMo 610.100.2(1)), withdrawn and
  reopened.

Requests are dated relative to the demo's clock (``today``, when the demo is loaded), so the
open ones are within their deadlines: received yesterday, or reopened just now. Each
request's changes are spread between its receipt and an hour ago. What makes custody events
(the releases, the share that delivers the copy) happens at load time: the custody log
refuses events backdated behind newer ones. The requesters' private links are written, DEMO
ONLY, to ``demo/requests.txt`` (a real requester's link is shown once and emailed; Sunlight
keeps only its hash).

Idempotent: requests are matched by the requester's demo email, the release cases by their
incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from sunlight.access.models import User
from sunlight.access.principal import Principal
from sunlight.db.base import utcnow
from sunlight.demo_captions import caption_copy
from sunlight.evidence.models import Recording
from sunlight.incidents import service as incidents
from sunlight.incidents.models import Incident
from sunlight.redaction import service as redaction
from sunlight.release import service as release
from sunlight.release.states import READY
from sunlight.requests import service as requests
from sunlight.requests.models import RecordsRequest
from sunlight.requests.states import Status
from sunlight.runtime import Runtime

#: The demo's released incident (the department decides: the assembly at City Hall).
RELEASE_INCIDENT = "26-0508-0203"
#: The recording with faces that the demo redacts and releases.
RELEASE_CLIP = "BWC0398_sidewalk_interviews.mp4"
#: The incident whose release decision the demo leaves with the Highway Patrol, and its clip.
PENDING_INCIDENT = "26-0508-0311"
PENDING_CLIP = "ICV0620_pursuit.mov"
#: Where the demo writes its requesters' private links (DEMO ONLY).
LINKS_FILE = "requests.txt"


@dataclass(frozen=True)
class DemoRequest:
    email: str
    name: str
    requester_type: str
    description: str
    #: days before the demo's clock (today) it was received
    ago: int
    #: the changes made to it, in order: (status, message, provision)
    changes: tuple[tuple[Status, str | None, str | None], ...] = ()
    #: link the released incident and send the released copy before the last change
    deliver_release: bool = False
    #: link this incident (CAD number)
    incident: str | None = None


REQUESTS: tuple[DemoRequest, ...] = (
    DemoRequest(
        "reporter@demo.invalid",
        "Casey Morgan (KC Ledger, demo)",
        "media",
        "Body-camera video of the assembly at City Hall on 8 May 2026.",
        10,
        ((Status.ACKNOWLEDGED, None, None), (Status.FULFILLED, None, None)),
        deliver_release=True,
        incident=RELEASE_INCIDENT,
    ),
    DemoRequest(
        "neighbour@demo.invalid",
        "Avery Lee (demo)",
        "public",
        "Any video of police on Troost Avenue on the afternoon of 8 May 2026.",
        1,
    ),
    DemoRequest(
        "driver@demo.invalid",
        "Jordan Example (demo)",
        "depicted",
        "The video of my traffic stop at Troost and 39th on 8 May 2026.",
        1,
        ((Status.ACKNOWLEDGED, None, None),),
        incident="26-0508-0117",
    ),
    DemoRequest(
        "researcher@demo.invalid",
        "Dr. Sam Patel (demo)",
        "public",
        "All police video from May 2026.",
        2,
        (
            (
                Status.CLARIFICATION_REQUESTED,
                "Which incidents or places do you mean? May 2026 holds hundreds of hours of "
                "video; a date, place or case number lets us find it.",
                None,
            ),
        ),
    ),
    DemoRequest(
        "advocate@demo.invalid",
        "Riley Nguyen (demo)",
        "public",
        "Dispatch and body-camera video of the disturbance call on 8 May 2026.",
        3,
        (
            (Status.ACKNOWLEDGED, None, None),
            (
                Status.DELAYED,
                "The recordings must be reviewed for the personal information of bystanders "
                "before release; the review is scheduled.",
                None,
            ),
        ),
    ),
    DemoRequest(
        "journalist@demo.invalid",
        "Morgan Diaz (demo)",
        "media",
        "Video of the officer-involved shooting at I-70 and Prospect on 8 May 2026.",
        20,
        (
            (
                Status.DENIED,
                "The Missouri Highway Patrol's investigation of the shooting is active; the "
                "video is closed until it is inactive.",
                "RSMo 610.100.2(1)",
            ),
        ),
        incident="26-0508-0311",
    ),
    DemoRequest(
        "neighbour2@demo.invalid",
        "Pat Okonjo (demo)",
        "public",
        "Body-camera video of the welfare check on 8 May 2026.",
        1,
        ((Status.ACKNOWLEDGED, None, None), (Status.IN_PROGRESS, None, None)),
    ),
    DemoRequest(
        "student@demo.invalid",
        "Quinn Harper (demo)",
        "public",
        "Video of the arrest at E 31st St and Prospect Ave on 8 May 2026, and the dispatch audio.",
        15,
        (
            (Status.ACKNOWLEDGED, None, None),
            (
                Status.PARTIALLY_FULFILLED,
                "The dispatch audio is released; no officer's camera recorded the arrest "
                "itself, and the in-car video shows a person's home interior.",
                "RSMo 610.100.2(3)",
            ),
        ),
    ),
    DemoRequest(
        "changed-mind@demo.invalid",
        "Drew Castillo (demo)",
        "public",
        "Video of the pursuit on I-70 on 8 May 2026.",
        9,
        ((Status.WITHDRAWN, "The requester no longer needs the video.", None),),
    ),
    DemoRequest(
        "appeal@demo.invalid",
        "Sasha Ibarra (demo)",
        "media",
        "All video of the traffic stop at Troost and 39th on 8 May 2026, including the "
        "in-car camera.",
        12,
        (
            (Status.ACKNOWLEDGED, None, None),
            (Status.FULFILLED, None, None),
            (
                Status.REOPENED,
                "The requester points out the in-car camera's video was not included.",
                None,
            ),
        ),
        incident="26-0508-0117",
    ),
)


def _custodian(runtime: Runtime) -> Principal | None:
    """The demo custodian (Howard Pruitt) as a principal, for the demo's staff actions."""
    with runtime.db.session(read_only=True) as session:
        user = session.scalar(select(User).where(User.username == "custodian"))
        if user is None:
            return None
        return Principal(
            id=f"user:{user.id}",
            display_name=user.display_name,
            kind="user",
            roles=user.role_names,
            agency_id=user.agency_id,
            agency_kind=user.agency.kind,
            user_id=user.id,
            auth="session",
            reauth_at=utcnow(),
        )


def _incident_id(runtime: Runtime, cad: str) -> int | None:
    with runtime.db.session(read_only=True) as session:
        return session.scalar(select(Incident.id).where(Incident.cad_number == cad))


def _redacted_copy(runtime: Runtime, original_id: int) -> int | None:
    """The detector's plan for ``original_id`` and the redacted copy it renders (idempotent
    jobs): the copy's recording id, or None if a job failed."""
    detect = redaction.request_detection(runtime, original_id, actor="system:demo", enqueue=False)
    if detect.status != "done":
        detect = redaction.run_detection(runtime, detect.id)
    if detect.status != "done" or detect.result_plan_id is None:
        return None
    render = redaction.request_render(
        runtime, detect.result_plan_id, actor="system:demo", enqueue=False
    )
    if render.status != "done":
        render = redaction.run_render(runtime, render.id)
    if render.status != "done" or render.result_recording_id is None:
        return None
    return render.result_recording_id


def ensure_demo_pending(runtime: Runtime, today: datetime) -> int:
    """Leave the shooting's release decision with the Highway Patrol: its investigation made
    inactive ten days before ``today``, its in-car video redacted and reviewed, the case
    READY. The number of demo cases pending with an outside agency (0 or 1)."""
    custodian = _custodian(runtime)
    incident_id = _incident_id(runtime, PENDING_INCIDENT)
    with runtime.db.session(read_only=True) as session:
        original_id = session.scalar(
            select(Recording.id).where(Recording.original_filename == PENDING_CLIP)
        )
    if custodian is None or incident_id is None or original_id is None:
        return 0
    with runtime.db.session(read_only=True) as session:
        case = release.case_for(session, incident_id)
        if case is not None:
            return int(case.state == READY)
    with runtime.db.session() as session:
        if incidents.get_incident(session, incident_id).investigation_status == "active":
            day = (today - timedelta(days=10)).date()
            incidents.set_investigation_status(
                session,
                incident_id,
                status="inactive",
                reason="not-pursued",
                note="The Highway Patrol closed its investigation; no charges (demo).",
                actor=custodian.id,
                on=day,
                today=day,
            )
    derived = _redacted_copy(runtime, original_id)
    if derived is None or not caption_copy(runtime, derived):
        return 0
    now = utcnow()  # custody events are stamped when appended (see ensure_demo_release)
    with runtime.db.session() as session:
        release.open_case(session, incident_id, principal=custodian, now=now)
        candidate = release.add_candidate(
            session, incident_id, derived, principal=custodian, now=now
        )
        release.review_candidate(
            session,
            candidate.id,
            principal=custodian,
            plan_version=candidate.plan_version,
            note="Checked frame by frame; nothing to blur in the in-car view (demo).",
            now=now,
        )
        release.move(session, incident_id, READY, principal=custodian, now=now)
    return 1


def ensure_demo_release(runtime: Runtime, demo_day: datetime) -> int:
    """Redact the faces clip and release the copy under the assembly's release case; the
    number of released copies of that incident (0 if the demo data is not there)."""
    custodian = _custodian(runtime)
    incident_id = _incident_id(runtime, RELEASE_INCIDENT)
    with runtime.db.session(read_only=True) as session:
        original_id = session.scalar(
            select(Recording.id).where(Recording.original_filename == RELEASE_CLIP)
        )
    if custodian is None or incident_id is None or original_id is None:
        return 0
    with runtime.db.session(read_only=True) as session:
        copies = release.released_copies(session, incident_id)
        case = release.case_for(session, incident_id)
    if copies or case is not None:
        return len(copies)
    with runtime.db.session() as session:
        if incidents.get_incident(session, incident_id).investigation_status == "active":
            # No charges followed the assembly: the investigation is inactive, so its
            # video may be released (RSMo 610.100.2(1)).
            incidents.set_investigation_status(
                session,
                incident_id,
                status="inactive",
                reason="not-pursued",
                note="Peaceful assembly; no charges (demo).",
                actor=custodian.id,
                on=(demo_day + timedelta(days=14)).date(),
                today=(demo_day + timedelta(days=14)).date(),
            )
    derived = _redacted_copy(runtime, original_id)
    if derived is None or not caption_copy(runtime, derived):
        return 0
    # Custody events are stamped when they are appended (the log refuses backdating), so the
    # release is made now, at demo load time, not on a demo date.
    now = utcnow()
    with runtime.db.session() as session:
        release.open_case(session, incident_id, principal=custodian, now=now)
        candidate = release.add_candidate(
            session,
            incident_id,
            derived,
            principal=custodian,
            now=now,
        )
        release.review_candidate(
            session,
            candidate.id,
            principal=custodian,
            plan_version=candidate.plan_version,
            note="Bystanders' faces blurred throughout; checked frame by frame (demo).",
            now=now,
        )
        release.move(session, incident_id, "ready", principal=custodian, now=now)
        release.decide_release(
            session,
            incident_id,
            principal=custodian,
            candidate_ids=[candidate.id],
            now=now,
            reason="Peaceful assembly; faces of bystanders redacted (RSMo 610.024).",
        )
        return len(release.released_copies(session, incident_id))


def _step_at(received: datetime, today: datetime, step: int, steps: int) -> datetime:
    """When change ``step`` (of ``steps``) is made: spread from receipt to an hour ago."""
    last = max(received + timedelta(minutes=steps), today - timedelta(hours=1))
    return received + (last - received) * step / steps


def ensure_demo_requests(
    runtime: Runtime, demo_day: datetime, folder: Path, *, today: datetime
) -> int:
    """File the demo's records requests (about footage of ``demo_day``), received days
    before ``today`` (the demo's clock), and move them to their states; the number added.
    Each new requester's private link is appended to ``folder/requests.txt``."""
    custodian = _custodian(runtime)
    if custodian is None:
        return 0
    with runtime.db.session(read_only=True) as session:
        have = set(session.scalars(select(RecordsRequest.requester_email)))
    added = 0
    links: dict[str, str] = {}  # by requester; written in REQUESTS' order (the fulfilled first)
    # oldest first: filed (and numbered) in the order they were received
    for demo in sorted(REQUESTS, key=lambda d: -d.ago):
        if demo.email in have:
            continue
        received = today - timedelta(days=demo.ago)
        with runtime.db.session() as session:
            request, raw = requests.file_request(
                session,
                name=demo.name,
                email=demo.email,
                requester_type=demo.requester_type,
                description=demo.description,
                date_from=demo_day.date(),
                date_to=demo_day.date(),
                source="web",
                now=received,
            )
            request_id, tracking = request.id, request.tracking_number
        links[demo.email] = f"{tracking}  {demo.name}: /public/requests/track/{raw}"
        incident_id = _incident_id(runtime, demo.incident) if demo.incident else None
        for step, (status, message, provision) in enumerate(demo.changes, start=1):
            now = _step_at(received, today, step, len(demo.changes))
            with runtime.db.session() as session:
                found = requests.get(session, request_id)
                if step == 1 and incident_id is not None:
                    requests.add_item(
                        session,
                        found,
                        principal=custodian,
                        why="the incident the requester describes",
                        now=now - timedelta(hours=1),
                        incident_id=incident_id,
                    )
                if step == len(demo.changes) and demo.deliver_release:
                    copies = requests.released_for(session, found)
                    if not copies:
                        break
                    requests.deliver(
                        session,
                        found,
                        recording_id=copies[0].derived_recording_id,
                        basis="released",
                        actor=custodian,
                        now=utcnow(),  # a share is a custody event: stamped now
                    )
                    now = utcnow()
                requests.transition(
                    session,
                    requests.get(session, request_id),
                    status,
                    actor=custodian.id,
                    now=now,
                    message=message,
                    provision=provision,
                    available_at=now + timedelta(days=14) if status == Status.DELAYED else None,
                )
        added += 1
    if links:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / LINKS_FILE, "a", encoding="utf-8") as out:
            out.write(
                "".join(
                    f"{line}\n"
                    for line in [
                        "# DEMO ONLY: the demo requesters' private tracking links "
                        "(a real requester's link is shown once and emailed).",
                        *(links[d.email] for d in REQUESTS if d.email in links),
                    ]
                )
            )
    return added


def first_tracking_link(folder: Path) -> str | None:
    """The first demo requester's private tracking path, if the demo wrote one."""
    path = folder / LINKS_FILE
    if not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and ": /" in line:
            return line.split(": ", 1)[1].strip()
    return None


def records_request_lines(folder: Path, base_url: str) -> list[str]:
    """The public portal, where the public asks for records and follows a request, and where
    staff work them: for the demo banner."""
    lines = [
        f"The public portal (no account): {base_url}/public (released footage, the request "
        f"log, statistics, policies, open data); the public asks for records at "
        f"{base_url}/public/requests/new. Staff work requests at {base_url}/requests and "
        f"releases at {base_url}/releases.",
    ]
    link = first_tracking_link(folder)
    if link is not None:
        lines.append(
            f"A demo requester's private tracking page (DEMO ONLY; all in "
            f"{folder / LINKS_FILE}): {base_url}{link}"
        )
    return lines
