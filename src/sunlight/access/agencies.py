"""Agencies (the tenants of access control) and the units inside them.

An agency is the department itself, an outside investigator that can hold custody of an
investigation (the Missouri Highway Patrol), a prosecutor's office, civilian oversight, or
another partner. Its ``kind`` is what the access policy's conditions read. Units (patrol
divisions) live inside an agency; users and officers name theirs.

Creating an agency or a unit is a custody event (``agency.create``, ``unit.create``) under
the acting principal's id, through ``sunlight.access.audit`` (``access`` imports no
domain). Hand-overs of an incident's custody to an agency stay with the
incidents domain (``sunlight.incidents.agencies``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.access.audit import Actor, AuthAction, record
from sunlight.access.models import AGENCY_KINDS, Agency, Unit
from sunlight.db.base import utcnow
from sunlight.errors import Conflict, InvalidInput, NotFound

MAX_NAME = 200
MAX_SHORT_NAME = 40
MAX_UNIT = 100


def list_agencies(session: Session) -> list[Agency]:
    """Every agency, the default investigator first, then by name."""
    return list(session.scalars(select(Agency).order_by(Agency.is_default.desc(), Agency.name)))


def find_agency(session: Session, key: str | int) -> Agency:
    """An agency by id, short name or full name (names case-insensitively)."""
    if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit()):
        agency = session.get(Agency, int(key))
        if agency is None:
            raise NotFound(f"no agency {key}")
        return agency
    text = key.strip()
    if not text:
        raise InvalidInput("name an agency (its short name, e.g. KCPD)")
    matches = list(
        session.scalars(
            select(Agency)
            .where(
                (func.lower(Agency.short_name) == text.lower())
                | (func.lower(Agency.name) == text.lower())
            )
            .order_by(Agency.id)
        )
    )
    if not matches:
        known = ", ".join(a.short_name for a in list_agencies(session))
        raise NotFound(f"no agency {text!r} (known: {known})")
    if len(matches) > 1:
        raise Conflict(f"more than one agency is called {text!r}; use its id")
    return matches[0]


def department(session: Session) -> Agency | None:
    """The department whose footage this is (the first agency of kind ``department``)."""
    return session.scalar(
        select(Agency).where(Agency.kind == "department").order_by(Agency.id).limit(1)
    )


def create_agency(
    session: Session,
    *,
    name: str,
    short_name: str,
    kind: str = "investigator",
    actor: Actor,
    now: datetime | None = None,
) -> Agency:
    """Add an agency; ``kind`` is one of ``AGENCY_KINDS``. Names and short names are unique."""
    name, short_name, kind = name.strip(), short_name.strip(), kind.strip()
    if not name or not short_name:
        raise InvalidInput("an agency needs a name and a short name")
    if len(name) > MAX_NAME or len(short_name) > MAX_SHORT_NAME:
        raise InvalidInput(
            f"an agency's name is at most {MAX_NAME} characters, its short name {MAX_SHORT_NAME}"
        )
    if kind not in AGENCY_KINDS:
        raise InvalidInput(f"unknown agency kind {kind!r}; one of: {', '.join(AGENCY_KINDS)}")
    taken = session.scalar(
        select(Agency).where(
            (func.lower(Agency.name) == name.lower())
            | (func.lower(Agency.short_name) == short_name.lower())
        )
    )
    if taken is not None:
        raise Conflict(f"agency {taken.name!r} ({taken.short_name}) already exists")
    when = now or utcnow()
    agency = Agency(name=name, short_name=short_name, kind=kind, created_at=when)
    session.add(agency)
    session.flush()
    record(
        session,
        actor=actor,
        action=AuthAction.AGENCY_CREATE,
        object_type="agency",
        object_id=agency.id,
        details={"name": name, "short_name": short_name, "kind": kind},
        at=when,
    )
    return agency


def list_units(session: Session, agency_id: int | None = None) -> list[Unit]:
    query = select(Unit).order_by(Unit.agency_id, Unit.name)
    if agency_id is not None:
        query = query.where(Unit.agency_id == agency_id)
    return list(session.scalars(query))


def add_unit(
    session: Session,
    agency: Agency,
    name: str,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Unit:
    """Add a unit (a patrol division) to an agency; unit names are unique in an agency."""
    name = name.strip()
    if not name:
        raise InvalidInput("a unit needs a name")
    if len(name) > MAX_UNIT:
        raise InvalidInput(f"a unit's name is at most {MAX_UNIT} characters")
    existing = session.scalar(
        select(Unit).where(Unit.agency_id == agency.id, func.lower(Unit.name) == name.lower())
    )
    if existing is not None:
        raise Conflict(f"{agency.short_name} already has a unit {existing.name!r}")
    when = now or utcnow()
    unit = Unit(agency_id=agency.id, name=name, created_at=when)
    session.add(unit)
    session.flush()
    record(
        session,
        actor=actor,
        action=AuthAction.UNIT_CREATE,
        object_type="agency",
        object_id=agency.id,
        details={"unit_id": unit.id, "unit": name},
        at=when,
    )
    return unit


def ensure_unit(session: Session, agency: Agency, name: str, *, actor: Actor) -> Unit:
    """The agency's unit of that name, added if missing (the demo, imports)."""
    existing = session.scalar(
        select(Unit).where(Unit.agency_id == agency.id, func.lower(Unit.name) == name.lower())
    )
    return existing if existing is not None else add_unit(session, agency, name, actor=actor)
