"""A release scenario without rendering video: an officer-involved shooting with an
original recording linked, a redaction plan version and a finished render job whose
redacted copy is a recording of its own (with its own ingest event)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from sunlight.access import Principal
from sunlight.access.models import Agency
from sunlight.db.base import utcnow
from sunlight.incidents import service as incidents
from sunlight.redaction.models import RedactionJob, RedactionPlan
from sunlight.runtime import Runtime
from tests.support.captions_data import approve_captions
from tests.support.evidence_data import add_officer, add_recording

T0 = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)


@dataclass
class Scenario:
    incident_id: int
    original_id: int
    derived_id: int
    plan_version: int
    agency_id: int | None


def person(
    runtime: Runtime, uid: int, *roles: str, agency_id: int | None = None, kind: str = ""
) -> Principal:
    if agency_id is None:
        with runtime.db.session(read_only=True) as session:
            agency_id = session.scalars(
                select(Agency.id).where(Agency.kind == "department").order_by(Agency.id)
            ).first()
        kind = "department"
    return Principal(
        id=f"user:{uid}",
        display_name=f"{'/'.join(roles)} {uid}",
        kind="user",
        roles=frozenset(roles),
        agency_id=agency_id,
        agency_kind=kind or "investigator",
        user_id=uid,
        auth="session",
        reauth_at=utcnow(),
    )


def redacted_copy(
    runtime: Runtime, original_id: int, *, version: int = 2, captions: bool = True
) -> int:
    """A finished render job of plan ``version`` of ``original_id``; returns the copy's id."""
    derived = add_recording(runtime, recorded_at=T0 + timedelta(minutes=1))
    with runtime.db.session() as session:
        plan = None
        have = set(
            session.scalars(
                select(RedactionPlan.version).where(RedactionPlan.recording_id == original_id)
            )
        )
        for v in range(1, version + 1):
            if v in have:
                continue
            plan = RedactionPlan(
                recording_id=original_id,
                version=v,
                sha256=f"{original_id:032x}{v:032x}",
                source="review",
                created_by="test:redactor",
            )
            session.add(plan)
            session.flush()
        assert plan is not None
        session.add(
            RedactionJob(
                key=f"render:{original_id}:{derived}",
                kind="render",
                recording_id=original_id,
                plan_id=plan.id,
                status="done",
                progress=1.0,
                result_recording_id=derived,
                details={"sha256": "x", "c2pa": {"signed": True, "signer": "Test PD"}},
                created_by="test:redactor",
            )
        )
    if captions:  # the release policy requires approved captions
        approve_captions(runtime, derived)
    return derived


def scenario(
    runtime: Runtime,
    *,
    type: str = "officer-involved-shooting",
    cad: str = "KC26-000777",
    assign: bool = True,
    status: str = "active",
) -> Scenario:
    badge = cad[-4:]
    officer = add_officer(runtime, badge, f"Officer {badge}", "Central")
    original = add_recording(runtime, officer_id=officer, recorded_at=T0 + timedelta(minutes=2))
    with runtime.db.session() as session:
        incident = incidents.create_incident(
            session,
            cad_number=cad,
            type=type,
            started_at=T0,
            ended_at=T0 + timedelta(minutes=30),
            officer_badges=[badge],
            actor="test:clerk",
            investigation_status=status,
        )
        incident_id = incident.id
        incidents.link_recording(session, incident_id, original, actor="test:clerk")
    derived = redacted_copy(runtime, original)
    agency_id = None
    if assign:
        with runtime.db.session() as session:
            incidents.assign_to_agency(
                session, incident_id, agency_id=None, actor="test:chief", reason="OIS protocol"
            )
            found = incidents.get_incident(session, incident_id)
            agency_id = found.agency_id
    return Scenario(incident_id, original, derived, 2, agency_id)


def make_inactive(runtime: Runtime, incident_id: int) -> None:
    with runtime.db.session() as session:
        incidents.set_investigation_status(
            session,
            incident_id,
            status="inactive",
            reason="not-pursued",
            actor="test:prosecutor",
            on=(T0 + timedelta(days=5)).date(),
            today=(T0 + timedelta(days=5)).date(),
        )
