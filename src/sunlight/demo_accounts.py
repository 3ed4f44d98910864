"""Demo accounts: one per role of the access policy, each with a known password and a TOTP
second factor, and demo data that exercises the access rules.

**Demo-only.** The password is printed by ``sunlight serve --demo`` and written in the
README; the TOTP secrets are random per data folder, and ``sunlight demo totp USERNAME``
prints the current code of a demo account (and refuses any account the demo did not
create). Never load the demo into an installation that holds real evidence.

The demo exercises the rules of the published access policy:

- ``officer`` is Samuel Okafor (badge 6203, South Patrol Division): involved in the demo's
  officer-involved shooting, whose footage he cannot view until his initial statement is
  recorded (report before review);
- ``supervisor`` supervises the South Patrol Division (sees its recordings, with a reason);
- ``investigator`` (Missouri Highway Patrol) holds custody of the shooting's footage;
- ``prosecutor`` (Jackson County Prosecutor's Office) sees the recording shared with it;
- ``oversight`` (Office of Community Complaints) sees the footage of the complaint it handles;
- the City Hall assembly is a First Amendment assembly: its footage needs a stated purpose;
- the welfare check is flagged as depicting a minor: only named roles see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import select

from sunlight.access.agencies import ensure_unit, find_agency
from sunlight.access.audit import AuthAction
from sunlight.access.models import Share, TotpCredential, User
from sunlight.access.principal import Principal
from sunlight.access.users import create_user, find_user
from sunlight.db.base import utcnow
from sunlight.errors import Forbidden, NotFound
from sunlight.evidence import service as evidence
from sunlight.evidence.models import CustodyEvent, Officer, Recording, RecordingFlag
from sunlight.evidence.shares import create_share
from sunlight.incidents.complaints import create_complaint
from sunlight.incidents.models import Complaint, Incident
from sunlight.runtime import Runtime

DEMO_ACTOR = Principal.system("demo").id

#: Every demo account's password. Demo-only: printed on the console and in the README.
DEMO_PASSWORD = "sunlight-demo-only"  # noqa: S105 - a published demo password

#: The demo officer: involved in the demo's officer-involved shooting (26-0508-0311).
DEMO_OFFICER_BADGE = "6203"
DEMO_UNIT = "South Patrol Division"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    agency: str  # short name
    role: str
    unit: str | None = None
    badge: str | None = None
    note: str = ""


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "officer",
        "Samuel Okafor",
        "KCPD",
        "officer",
        DEMO_UNIT,
        DEMO_OFFICER_BADGE,
        "involved in the shooting 26-0508-0311, no statement yet",
    ),
    DemoAccount(
        "supervisor", "Teresa Lindqvist", "KCPD", "supervisor", DEMO_UNIT, None, "South Patrol"
    ),
    DemoAccount("custodian", "Howard Pruitt", "KCPD", "records-custodian"),
    DemoAccount("internal-affairs", "Renee Castellano", "KCPD", "internal-affairs"),
    DemoAccount(
        "investigator",
        "Sgt. Alan Mercer",
        "MSHP",
        "outside-investigator",
        note="holds custody of 26-0508-0311",
    ),
    DemoAccount(
        "prosecutor", "Grace Oyelaran", "JCPO", "prosecutor", note="one recording shared with JCPO"
    ),
    DemoAccount(
        "oversight",
        "Luis Albright",
        "OCC",
        "civilian-oversight",
        note="handles complaint OCC-2026-0042",
    ),
    DemoAccount("admin", "Morgan Avery", "KCPD", "administrator", note="accounts, no footage"),
)

#: The recording flagged as depicting a minor (vulnerable people).
VULNERABLE_CLIP = "BWC0417_welfare_check.webm"


class DemoOnly(Forbidden):
    """Asked for a demo secret of an account the demo did not create."""


def ensure_demo_accounts(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Create the demo accounts that are missing (idempotent); returns how many were made."""
    now = now or utcnow()
    created = 0
    with runtime.db.session() as session:
        for account in DEMO_ACCOUNTS:
            if find_user(session, account.username) is not None:
                continue
            agency = find_agency(session, account.agency)
            officer_id = None
            if account.badge:
                officer_id = session.scalar(
                    select(Officer.id).where(Officer.badge_number == account.badge)
                )
            if account.unit:
                ensure_unit(session, agency, account.unit, actor=DEMO_ACTOR)
            user = create_user(
                session,
                username=account.username,
                display_name=account.name,
                agency_id=agency.id,
                roles=[account.role],
                password=DEMO_PASSWORD,
                unit=account.unit,
                officer_id=officer_id,
                email=f"{account.username}@demo.invalid",
                actor=DEMO_ACTOR,
                now=now,
            )
            # An enrolled authenticator app, as if the person had scanned the QR code.
            session.add(
                TotpCredential(
                    user_id=user.id,
                    secret=pyotp.random_base32(),
                    confirmed_at=now,
                    created_at=now,
                )
            )
            created += 1
    return created


def ensure_vulnerable_flag(runtime: Runtime) -> None:
    """Flag the welfare check as depicting a minor (once)."""
    with runtime.db.session() as session:
        recording_id = session.scalar(
            select(Recording.id).where(Recording.original_filename == VULNERABLE_CLIP)
        )
        if recording_id is None:
            return
        flagged = session.scalar(
            select(RecordingFlag.id).where(
                RecordingFlag.recording_id == recording_id, RecordingFlag.kind == "minor"
            )
        )
        if flagged is None:
            evidence.flag_recording(
                session,
                recording_id,
                kind="minor",
                reason="A child is visible during the welfare check (RSMo 610.100 closed record)",
                actor=DEMO_ACTOR,
            )


def is_demo_account(runtime: Runtime, user: User) -> bool:
    """Made by the demo loader: its creation event's actor is the demo job."""
    with runtime.db.session(read_only=True) as session:
        creator = session.scalar(
            select(CustodyEvent.actor).where(
                CustodyEvent.object_type == "user",
                CustodyEvent.object_id == str(user.id),
                CustodyEvent.action == str(AuthAction.USER_CREATE),
            )
        )
    return creator == DEMO_ACTOR


def demo_totp_code(runtime: Runtime, username: str, *, now: datetime | None = None) -> str:
    """The current TOTP code of a demo account. Refuses any account the demo did not make."""
    with runtime.db.session(read_only=True) as session:
        user = find_user(session, username)
        if user is None:
            raise NotFound(f"no user {username!r}")
        secret = session.scalar(
            select(TotpCredential.secret)
            .where(TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None))
            .order_by(TotpCredential.id.desc())
            .limit(1)
        )
    if not is_demo_account(runtime, user):
        raise DemoOnly(f"{username} is not a demo account: its codes come only from its owner")
    if secret is None:
        raise NotFound(f"demo account {username} has no authenticator (its MFA was reset)")
    return pyotp.TOTP(secret).at(now or utcnow())


def sign_in_lines(base_url: str = "http://127.0.0.1:8000") -> list[str]:
    """How to sign in as each demo account: a table for the console."""
    width = max(len(a.username) for a in DEMO_ACCOUNTS)
    lines = [
        f"Demo accounts (DEMO ONLY): sign in at {base_url}/sign-in with password "
        f"{DEMO_PASSWORD!r}; for the code run `uv run sunlight demo totp USERNAME`.",
        f"  {'username':<{width}}  {'role':<20}  {'agency':<6}  notes",
    ]
    for a in DEMO_ACCOUNTS:
        lines.append(f"  {a.username:<{width}}  {a.role:<20}  {a.agency:<6}  {a.note}")
    return lines


#: The demo's complaint, handled by the Office of Community Complaints (civilian oversight).
DEMO_COMPLAINT = "OCC-2026-0042"
COMPLAINT_INCIDENT = "26-0508-0117"  # the traffic stop on Troost Ave
#: The recording shared with the Jackson County Prosecutor's Office.
SHARED_CLIP = "BWC0512_call_for_service.mp4"


def ensure_demo_scenarios(runtime: Runtime, *, now: datetime | None = None) -> None:
    """The data the access rules act on, beyond the incidents (idempotent): a complaint
    handled by civilian oversight, a recording shared with the prosecutor's office, and a
    recording flagged as depicting a minor."""
    now = now or utcnow()
    ensure_vulnerable_flag(runtime)
    with runtime.db.session() as session:
        incident_id = session.scalar(
            select(Incident.id).where(Incident.cad_number == COMPLAINT_INCIDENT)
        )
        has_complaint = session.scalar(
            select(Complaint.id).where(Complaint.number == DEMO_COMPLAINT)
        )
        if incident_id is not None and has_complaint is None:
            create_complaint(
                session,
                number=DEMO_COMPLAINT,
                incident_id=incident_id,
                agency_id=find_agency(session, "OCC").id,
                complainant="The driver (demo)",
                filed_at=now,
                actor=DEMO_ACTOR,
            )
        jcpo = find_agency(session, "JCPO")
        recording_id = session.scalar(
            select(Recording.id).where(Recording.original_filename == SHARED_CLIP)
        )
        shared = session.scalar(
            select(Share.id).where(Share.agency_id == jcpo.id, Share.recording_id == recording_id)
        )
        if recording_id is not None and shared is None:
            create_share(
                session,
                recording_id=recording_id,
                recipient=jcpo.name,
                recipient_kind="prosecutor",
                reason="court: disturbance case referred for a charging decision (demo)",
                actor=Principal.system("demo"),
                agency_id=jcpo.id,
                link=False,
                can_download=True,
                expires_days=90,
                now=now,
            )
