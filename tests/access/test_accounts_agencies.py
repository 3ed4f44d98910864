"""The agency and unit service: lookups by id, short or full name; unique names; custody
events under the acting principal; the incidents domain re-exports the same functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sunlight.access import agencies
from sunlight.access.principal import Principal
from sunlight.errors import Conflict, InvalidInput, NotFound
from sunlight.evidence.models import CustodyEvent
from sunlight.incidents import service as incidents
from sunlight.runtime import Runtime

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
ADMIN = Principal.cli(operator="tester")


def test_find_create_and_units(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        kcpd = agencies.find_agency(session, "kcpd")
        assert kcpd.kind == "department"
        assert agencies.find_agency(session, str(kcpd.id)) is kcpd
        assert agencies.find_agency(session, "Kansas City Police Department") is kcpd
        assert agencies.department(session) is kcpd
        with pytest.raises(NotFound, match="known: "):
            agencies.find_agency(session, "NOPE")
        with pytest.raises(NotFound):
            agencies.find_agency(session, 999)
        with pytest.raises(InvalidInput):
            agencies.find_agency(session, " ")

        fbi = agencies.create_agency(
            session, name="FBI Kansas City", short_name="FBI", kind="investigator", actor=ADMIN,
            now=NOW,
        )  # fmt: skip
        assert incidents.list_agencies(session)[0].short_name == "MSHP"
        assert fbi in agencies.list_agencies(session)
        for name, short, kind, error in [
            ("fbi kansas city", "F2", "other", Conflict),
            ("Other", "fbi", "other", Conflict),
            ("Other", "O", "militia", InvalidInput),
            ("", "O", "other", InvalidInput),
            ("x" * 201, "O", "other", InvalidInput),
        ]:
            with pytest.raises(error):
                agencies.create_agency(session, name=name, short_name=short, kind=kind, actor=ADMIN)

        unit = agencies.add_unit(session, kcpd, "Central Patrol Division", actor=ADMIN, now=NOW)
        with pytest.raises(Conflict):
            agencies.add_unit(session, kcpd, "central patrol division", actor=ADMIN)
        with pytest.raises(InvalidInput):
            agencies.add_unit(session, kcpd, "  ", actor=ADMIN)
        assert agencies.ensure_unit(session, kcpd, "CENTRAL PATROL DIVISION", actor=ADMIN) is unit
        # the same name in another agency is another unit
        agencies.add_unit(session, fbi, "Central Patrol Division", actor=ADMIN)
        assert [u.name for u in agencies.list_units(session, kcpd.id)] == [
            "Central Patrol Division"
        ]
        recorded = session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.object_type == "agency")
            .order_by(CustodyEvent.id)
        ).all()
        assert [(e.action, e.actor, e.object_id) for e in recorded] == [
            ("agency.create", "cli:tester", str(fbi.id)),
            ("unit.create", "cli:tester", str(kcpd.id)),
            ("unit.create", "cli:tester", str(fbi.id)),
        ]
        assert recorded[0].occurred_at == NOW
        assert recorded[0].details == {"name": "FBI Kansas City", "short_name": "FBI",
                                       "kind": "investigator"}  # fmt: skip


def test_incidents_api_still_adds_an_investigating_agency(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        county = incidents.create_agency(
            session, name="County Sheriff", short_name="JCSO", actor="user:1"
        )
        assert county.kind == "investigator"
