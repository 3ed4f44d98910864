"""Factories for access-control tests: agencies, users (as principals), incidents with
their officers and custody, links, flags, shares and complaints.

Everything goes straight into the tables through a session (no services, no custody events),
so tests can build a small archive in milliseconds and ask ``decide``/``visible`` about it.
Functions take a ``Session`` so a property test can build a world inside one transaction and
roll it back; ``in_session`` wraps one for callers that hold a ``Runtime``.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access.models import Agency, Share, User, UserRole
from sunlight.access.permissions import Permission
from sunlight.access.principal import Principal
from sunlight.evidence.models import Officer, Recording, RecordingFlag
from sunlight.incidents.models import Complaint, Incident, IncidentOfficer, IncidentRecording

_counter = itertools.count(1)
WHEN = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)

#: What an agency's kind is called in the seeded rows (migration 0011) by short name.
SEEDED = ("KCPD", "MSHP", "JCPO", "OCC")

#: The permissions a share link holds (view; download when the share allows it).
SHARE_VIEW_PERMISSIONS = frozenset(
    {
        Permission.RECORDING_LIST,
        Permission.RECORDING_VIEW,
        Permission.RECORDING_STREAM,
        Permission.CUSTODY_VIEW,
    }
)


def agencies(session: Session) -> dict[str, Agency]:
    """The agencies by short name (KCPD, MSHP, JCPO, OCC are seeded by migration 0011)."""
    return {a.short_name: a for a in session.scalars(select(Agency))}


def add_agency(session: Session, short_name: str, kind: str) -> Agency:
    agency = Agency(name=f"{short_name} agency", short_name=short_name, kind=kind)
    session.add(agency)
    session.flush()
    return agency


def add_officer(session: Session, badge: str | None = None, unit: str | None = None) -> int:
    n = next(_counter)
    officer = Officer(badge_number=badge or f"B{n:05d}", name=f"Officer {n}", unit=unit)
    session.add(officer)
    session.flush()
    return officer.id


def add_recording(
    session: Session, *, officer_id: int | None, recorded_at: datetime | None = None
) -> int:
    """A recording row without bytes (access tests never open the file)."""
    n = next(_counter)
    recording = Recording(
        sha256=hashlib.sha256(
            f"access test recording {n} {secrets.token_hex(8)}".encode()
        ).hexdigest(),
        size_bytes=100,
        original_filename=f"BWC_{n:05d}.mp4",
        officer_id=officer_id,
        recorded_at=recorded_at or WHEN + timedelta(minutes=n),
        recorded_at_source="operator",
        ingested_at=(recorded_at or WHEN) + timedelta(hours=2),
        ingest_source="cli",
        playable=True,
        browser_playable=True,
        duration_s=60.0,
        derivatives_status="done",
    )
    session.add(recording)
    session.flush()
    return recording.id


def add_incident(
    session: Session,
    *,
    type: str = "traffic-stop",
    unit: str | None = None,
    agency_id: int | None = None,
    officers: Mapping[int, datetime | None] | None = None,
    recordings: Iterable[int] = (),
) -> int:
    """An incident, held by ``agency_id`` (an outside agency) or the department (None), with
    ``officers`` involved (officer id -> when their initial statement was recorded, or None)
    and ``recordings`` linked to it."""
    n = next(_counter)
    incident = Incident(
        cad_number=f"CAD-{n:06d}",
        type=type,
        started_at=WHEN,
        ended_at=WHEN + timedelta(hours=1),
        unit=unit,
        agency_id=agency_id,
    )
    session.add(incident)
    session.flush()
    for officer_id, statement_at in (officers or {}).items():
        session.add(
            IncidentOfficer(
                incident_id=incident.id,
                officer_id=officer_id,
                statement_at=statement_at,
                statement_by="test:clerk" if statement_at else None,
            )
        )
    for recording_id in recordings:
        link(session, incident.id, recording_id)
    session.flush()
    return incident.id


def link(session: Session, incident_id: int, recording_id: int) -> None:
    session.add(
        IncidentRecording(
            incident_id=incident_id, recording_id=recording_id, how="manual", linked_by="test"
        )
    )
    session.flush()


def add_flag(session: Session, recording_id: int, kind: str, *, cleared: bool = False) -> int:
    flag = RecordingFlag(
        recording_id=recording_id,
        kind=kind,
        reason="test",
        created_by="test:clerk",
        cleared_at=WHEN if cleared else None,
        cleared_by="test:clerk" if cleared else None,
    )
    session.add(flag)
    session.flush()
    return flag.id


def add_share(
    session: Session,
    recording_id: int,
    *,
    agency_id: int | None = None,
    link: bool = False,
    expired: bool = False,
    revoked: bool = False,
    can_download: bool = True,
    now: datetime = WHEN,
) -> int:
    """A share with an agency (``agency_id``) or through a link (``link=True``), active,
    expired or revoked at ``now`` (default ``WHEN``): decide at the same ``now``."""
    share = Share(
        recording_id=recording_id,
        recipient="test recipient",
        recipient_kind="prosecutor" if agency_id else "defence",
        agency_id=agency_id,
        link_sha256=secrets.token_hex(32) if link else None,
        can_download=can_download,
        reason="discovery",
        created_by="test:clerk",
        created_at=now - timedelta(days=40),
        expires_at=now - timedelta(days=1) if expired else now + timedelta(days=30),
        revoked_at=now - timedelta(hours=1) if revoked else None,
        revoked_by="test:clerk" if revoked else None,
    )
    session.add(share)
    session.flush()
    return share.id


def add_complaint(session: Session, incident_id: int, agency_id: int) -> int:
    n = next(_counter)
    complaint = Complaint(
        number=f"OCC-{n:05d}",
        incident_id=incident_id,
        agency_id=agency_id,
        complainant="A. Resident",
        filed_at=WHEN + timedelta(days=1),
        created_by="test:clerk",
    )
    session.add(complaint)
    session.flush()
    return complaint.id


def add_user(
    session: Session,
    username: str,
    *,
    agency: Agency,
    roles: Iterable[str],
    unit: str | None = None,
    officer_id: int | None = None,
) -> Principal:
    """A user with roles, returned as the principal a signed-in session would carry."""
    user = User(
        username=username,
        display_name=username.title(),
        agency_id=agency.id,
        unit=unit,
        officer_id=officer_id,
    )
    user.roles = [UserRole(role=r, granted_by="test") for r in sorted(set(roles))]
    session.add(user)
    session.flush()
    return user_principal(user, agency)


def user_principal(user: User, agency: Agency) -> Principal:
    return Principal(
        id=f"user:{user.id}",
        display_name=user.display_name,
        kind="user",
        roles=user.role_names,
        agency_id=agency.id,
        agency_kind=agency.kind,
        unit=user.unit,
        officer_id=user.officer_id,
        user_id=user.id,
        auth="session",
    )


def token_principal(
    token_id: int, permissions: Iterable[Permission], *, agency_id: int | None = None
) -> Principal:
    """An API token's principal: the ``integration`` role within exactly ``permissions``."""
    return Principal(
        id=f"token:{token_id}",
        display_name=f"token {token_id}",
        kind="token",
        roles=frozenset({"integration"}),
        agency_id=agency_id,
        token_id=token_id,
        granted=frozenset(permissions),
        auth="token",
    )


def share_principal(share_id: int, *, can_download: bool = True) -> Principal:
    """A share link's principal: the ``share-recipient`` role, for that one recording."""
    granted = SHARE_VIEW_PERMISSIONS | ({Permission.RECORDING_DOWNLOAD} if can_download else set())
    return Principal(
        id=f"share:{share_id}",
        display_name=f"share link {share_id}",
        kind="share",
        roles=frozenset({"share-recipient"}),
        share_id=share_id,
        granted=frozenset(granted),
        auth="share",
    )
