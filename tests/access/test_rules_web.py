"""The access rules at the web: per role, on own / other / assigned / unassigned /
protest / vulnerable / critical-incident footage. 404 for what is out of scope (exactly as
a nonexistent id), 403 with the rule for what is in scope but refused, and every refusal a
custody event with outcome ``denied``. Lists agree with single checks, counts included."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sunlight.access import Principal
from sunlight.evidence import service as evidence
from sunlight.evidence.custody import events_for
from sunlight.evidence.models import CustodyEvent
from sunlight.incidents import service as incidents
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.access.principals import acting_as, agency_id, principal
from tests.support.evidence_data import add_officer, add_recording

T0 = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)
CUSTODIAN_REASON = "records-request: PRR 26-114"
PURPOSE = "criminal-investigation: case 26-0071"


@dataclass
class World:
    runtime: Runtime
    east: int  # officer in unit East
    west: int  # officer in unit West
    east_rec: int  # East's ordinary recording
    west_rec: int  # West's ordinary recording
    shooting: int  # incident: officer-involved shooting, East involved, held by MSHP
    shooting_rec: int  # East's recording of the shooting
    protest: int  # incident: First Amendment assembly (West)
    protest_rec: int
    complaint_inc: int  # incident with a complaint handled by civilian oversight
    complaint_rec: int

    def who(self, role: str) -> Principal:
        rt = self.runtime
        return {
            "officer-east": principal(rt, "officer", officer_id=self.east, unit="East"),
            "officer-west": principal(rt, "officer", officer_id=self.west, unit="West"),
            "supervisor-east": principal(rt, "supervisor", unit="East"),
            "custodian": principal(rt, "records-custodian"),
            "internal-affairs": principal(rt, "internal-affairs"),
            "mshp": principal(rt, "outside-investigator", agency_kind="investigator"),
            "prosecutor": principal(rt, "prosecutor", agency_kind="prosecutor"),
            "oversight": principal(rt, "civilian-oversight", agency_kind="oversight"),
            "administrator": principal(rt, "administrator"),
        }[role]

    @property
    def all_recordings(self) -> list[int]:
        return [
            self.east_rec,
            self.west_rec,
            self.shooting_rec,
            self.protest_rec,
            self.complaint_rec,
        ]


def _incident(
    runtime: Runtime, cad: str, kind: str, unit: str, badges: list[str], recordings: list[int]
) -> int:
    with runtime.db.session() as session:
        incident = incidents.create_incident(
            session,
            cad_number=cad,
            type=kind,
            started_at=T0,
            ended_at=T0 + timedelta(minutes=30),
            unit=unit,
            officer_badges=badges,
            actor="test:setup",
        )
        for rec in recordings:
            incidents.link_recording(session, incident.id, rec, actor="test:setup")
        return incident.id


@pytest.fixture
def world(runtime: Runtime) -> World:
    east = add_officer(runtime, "1001", "Avery East", unit="East")
    west = add_officer(runtime, "2002", "Blake West", unit="West")
    east_rec = add_recording(runtime, officer_id=east, recorded_at=T0 - timedelta(days=3))
    west_rec = add_recording(runtime, officer_id=west, recorded_at=T0 - timedelta(days=3))
    shooting_rec = add_recording(runtime, officer_id=east, recorded_at=T0)
    protest_rec = add_recording(runtime, officer_id=west, recorded_at=T0 + timedelta(days=1))
    complaint_rec = add_recording(runtime, officer_id=west, recorded_at=T0 + timedelta(days=2))
    shooting = _incident(
        runtime, "KC26-OIS", "officer-involved-shooting", "East", ["1001"], [shooting_rec]
    )
    protest = _incident(
        runtime, "KC26-FA", "first-amendment-assembly", "West", ["2002"], [protest_rec]
    )
    complaint_inc = _incident(runtime, "KC26-C", "arrest", "West", ["2002"], [complaint_rec])
    with runtime.db.session() as session:
        incidents.assign_to_agency(session, shooting, actor="test:setup", reason="OIS protocol")
    return World(
        runtime,
        east,
        west,
        east_rec,
        west_rec,
        shooting,
        shooting_rec,
        protest,
        protest_rec,
        complaint_inc,
        complaint_rec,
    )


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def _denials(runtime: Runtime, object_type: str, object_id: int) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        return [e for e in events_for(session, object_type, object_id) if e.outcome == "denied"]


def _listed(client: TestClient, **params: object) -> list[int]:
    page = client.get("/api/recordings", params={"per_page": 100, **params})
    assert page.status_code == 200, page.text
    return sorted(r["id"] for r in page.json()["items"])


# -- officers, supervisors, ID guessing --------------------------------------------------


def test_officer_sees_own_recordings_and_not_others(client: TestClient, world: World) -> None:
    with acting_as(client, world.who("officer-east")):
        assert client.get(f"/api/recordings/{world.east_rec}").status_code == 200
        other = client.get(f"/api/recordings/{world.west_rec}")
        missing = client.get("/api/recordings/987654")
        assert other.status_code == missing.status_code == 404
        assert other.json()["detail"] == f"no recording {world.west_rec}"
        assert missing.json()["detail"] == "no recording 987654"
        # own footage needs no reason
        assert client.get(f"/api/recordings/{world.east_rec}/original").status_code == 200
        # the shooting's recording is listed (it is the officer's) but not viewable (403)
        assert _listed(client) == sorted([world.east_rec, world.shooting_rec])
        assert client.get(f"/recordings/{world.west_rec}").status_code == 404
        assert client.get(f"/api/recordings/{world.west_rec}/custody").status_code == 404


def test_guessing_ids_of_other_peoples_recordings_finds_nothing(
    client: TestClient, world: World
) -> None:
    with acting_as(client, world.who("officer-west")):
        own = {world.west_rec, world.protest_rec, world.complaint_rec}
        for rid in range(1, max(world.all_recordings) + 5):
            for path in (
                f"/api/recordings/{rid}",
                f"/api/recordings/{rid}/original",
                f"/api/recordings/{rid}/poster",
                f"/api/recordings/{rid}/custody",
            ):
                answer = client.get(path)
                if rid in own:
                    continue
                assert answer.status_code == 404, (path, answer.text)
    # a guess that hits someone else's real recording is recorded as a refusal (out of
    # scope), though it is answered exactly like a missing id
    guesses = _denials(world.runtime, "recording", world.east_rec)
    assert len(guesses) == 4
    assert all(not e.details["in_scope"] for e in guesses)


def test_supervisor_sees_the_unit_and_needs_a_reason_to_view(
    client: TestClient, world: World
) -> None:
    with acting_as(client, world.who("supervisor-east")):
        assert client.get(f"/api/recordings/{world.east_rec}").status_code == 200
        assert client.get(f"/api/recordings/{world.west_rec}").status_code == 404
        assert _listed(client) == sorted([world.east_rec, world.shooting_rec])
        refused = client.get(f"/api/recordings/{world.east_rec}/original")
        assert refused.status_code == 403
        assert refused.json()["diagnostics"]["rule"] == "supervisors-unit-footage"
        assert refused.json()["diagnostics"]["obligations"] == ["reason"]
        played = client.get(
            f"/api/recordings/{world.east_rec}/original",
            headers={"Sunlight-Reason": "supervisory-review: monthly audit"},
        )
        assert played.status_code == 200
        # metadata only: a supervisor cannot download
        assert (
            client.get(
                f"/api/recordings/{world.east_rec}/original",
                params={"download": 1, "reason": "supervisory-review: x"},
            ).status_code
            == 403
        )
    with world.runtime.db.session(read_only=True) as session:
        events = events_for(session, "recording", world.east_rec)
    streams = [e for e in events if e.action == "stream"]
    assert [e.reason for e in streams] == ["supervisory-review: monthly audit"]
    assert streams[0].details["rule"] == "supervisors-unit-footage"
    denied = [e for e in events if e.outcome == "denied"]
    # no reason: the unit rule asks for one; a download: no rule grants it
    assert [e.details["rule"] for e in denied] == ["supervisors-unit-footage", "default-deny"]
    assert denied[0].action == "access.denied" and denied[0].actor.startswith("user:")


def test_custodian_needs_a_reason_403_without_200_with(client: TestClient, world: World) -> None:
    with acting_as(client, world.who("custodian")) as custodian:
        url = f"/api/recordings/{world.west_rec}/original"
        assert client.get(url).status_code == 403
        assert client.get(url, params={"reason": CUSTODIAN_REASON}).status_code == 200
        download = client.get(url, params={"reason": CUSTODIAN_REASON, "download": 1})
        assert download.status_code == 200
    with world.runtime.db.session(read_only=True) as session:
        events = events_for(session, "recording", world.west_rec)
    reads = [(e.action, e.reason, e.outcome) for e in events if e.actor == custodian.id]
    assert reads == [
        ("access.denied", None, "denied"),
        ("stream", CUSTODIAN_REASON, "success"),
        ("download", CUSTODIAN_REASON, "success"),
    ]


# -- outside investigators and the custody lock -----------------------------------------


def test_mshp_sees_exactly_the_assigned_incidents(client: TestClient, world: World) -> None:
    with acting_as(client, world.who("mshp")):
        listed = client.get("/api/incidents").json()
        assert [i["id"] for i in listed] == [world.shooting]
        assert client.get(f"/api/incidents/{world.shooting}").status_code == 200
        assert client.get(f"/api/incidents/{world.protest}").status_code == 404
        assert client.get(f"/api/incidents/{world.protest}/events").status_code == 404
        assert client.get(f"/incidents/{world.protest}").status_code == 404
        assert _listed(client) == [world.shooting_rec]
        assert client.get(f"/api/recordings/{world.east_rec}").status_code == 404
        play = client.get(
            f"/api/recordings/{world.shooting_rec}/original", params={"reason": PURPOSE}
        )
        assert play.status_code == 200


def test_department_cannot_unlink_or_return_while_mshp_holds(
    client: TestClient, world: World
) -> None:
    with acting_as(client, world.who("custodian")):
        unlink = client.post(
            f"/api/incidents/{world.shooting}/recordings/{world.shooting_rec}/unlink",
            json={"reason": "wrong incident"},
        )
        assert unlink.status_code == 403
        assert unlink.json()["diagnostics"]["rule"] == "outside-custody-lock"
        back = client.post(
            f"/api/incidents/{world.shooting}/custody/return", json={"reason": "ours"}
        )
        assert back.status_code == 403
        edit = client.patch(
            f"/api/recordings/{world.shooting_rec}", json={"title": "x", "reason": "typo"}
        )
        assert edit.status_code == 403
    denied = _denials(world.runtime, "incident", world.shooting)
    assert [e.details["rule"] for e in denied] == ["outside-custody-lock"] * 2
    assert {e.details["permission"] for e in denied} == {"incident:link", "incident:assign"}
    assert [
        e.details["rule"] for e in _denials(world.runtime, "recording", world.shooting_rec)
    ] == ["outside-custody-lock"]
    with acting_as(client, world.who("mshp")):
        back = client.post(
            f"/api/incidents/{world.shooting}/custody/return", json={"reason": "closed"}
        )
        assert back.status_code == 200, back.text
        assert client.get(f"/api/incidents/{world.shooting}").status_code == 404  # not ours now
    with acting_as(client, world.who("custodian")):
        again = client.post(
            f"/api/incidents/{world.shooting}/custody",
            json={"reason": "reassigned", "agency_id": agency_id(world.runtime, "investigator")},
        )
        assert again.status_code == 200, again.text


# -- report before review ----------------------------------------------------------------


def test_report_before_review(client: TestClient, world: World) -> None:
    with acting_as(client, world.who("mshp")):
        client.post(f"/api/incidents/{world.shooting}/custody/return", json={"reason": "done"})
    officer = world.who("officer-east")
    with acting_as(client, officer):
        refused = client.get(f"/api/recordings/{world.shooting_rec}/original")
        assert refused.status_code == 403
        assert refused.json()["diagnostics"]["rule"] == "report-before-review"
        assert client.get(f"/api/recordings/{world.shooting_rec}").status_code == 403
        # the officer cannot record their own statement
        own = client.post(f"/api/incidents/{world.shooting}/officers/{world.east}/statement")
        assert own.status_code in (403, 404)
    with acting_as(client, world.who("custodian")):
        stated = client.post(
            f"/api/incidents/{world.shooting}/officers/{world.east}/statement",
            json={"note": "statement taken by detective 12"},
        )
        assert stated.status_code == 200, stated.text
        assert stated.json()["statement_at"]
        twice = client.post(f"/api/incidents/{world.shooting}/officers/{world.east}/statement")
        assert twice.status_code == 409
    with acting_as(client, officer):
        assert client.get(f"/api/recordings/{world.shooting_rec}/original").status_code == 200
    with world.runtime.db.session(read_only=True) as session:
        actions = [e.action for e in events_for(session, "incident", world.shooting)]
    assert "incident.statement" in actions
    rules = [e.details["rule"] for e in _denials(world.runtime, "recording", world.shooting_rec)]
    assert rules == ["report-before-review"] * 2


# -- First Amendment assemblies ------------------------------------------------------------


def test_first_amendment_footage_needs_a_purpose(client: TestClient, world: World) -> None:
    url = f"/api/recordings/{world.protest_rec}/original"
    with acting_as(client, world.who("custodian")):
        for reason in (None, CUSTODIAN_REASON, "criminal-investigation", "just looking"):
            refused = client.get(url, params={"reason": reason} if reason else {})
            assert refused.status_code == 403, reason
            assert refused.json()["diagnostics"]["rule"] == "first-amendment-purpose"
        assert client.get(url, params={"reason": PURPOSE}).status_code == 200
        complaint = client.get(url, headers={"Sunlight-Reason": "complaint: OCC 26-9"})
        assert complaint.status_code == 200
        # the page asks for a purpose instead of showing the player
        page = client.get(f"/recordings/{world.protest_rec}")
        assert page.status_code == 200
        assert 'id="reason-form"' in page.text and "<video" not in page.text
    with acting_as(client, world.who("officer-west")):  # even the officer's own footage
        assert client.get(url).status_code == 403
        assert client.get(url, params={"reason": PURPOSE}).status_code == 200


# -- vulnerable people ---------------------------------------------------------------------


def test_vulnerable_footage_is_restricted_to_named_roles(client: TestClient, world: World) -> None:
    with world.runtime.db.session() as session:
        evidence.flag_recording(
            session, world.east_rec, kind="minor", reason="juvenile victim", actor="test:setup"
        )
    for role in ("officer-east", "supervisor-east"):
        with acting_as(client, world.who(role)):
            assert client.get(f"/api/recordings/{world.east_rec}").status_code == 404
            assert world.east_rec not in _listed(client)
    for role in ("custodian", "internal-affairs"):
        with acting_as(client, world.who(role)):
            assert client.get(f"/api/recordings/{world.east_rec}").status_code == 200
            assert world.east_rec in _listed(client)
    # an incident the supervisor sees does not show its restricted recording either
    with world.runtime.db.session() as session:
        evidence.flag_recording(
            session, world.shooting_rec, kind="sex-crime-victim", reason="victim", actor="t"
        )
    with acting_as(client, world.who("supervisor-east")):
        shown = client.get(f"/api/incidents/{world.shooting}").json()["recordings"]
        assert shown == []
        assert client.get("/api/incidents").json()[0]["recordings"] == []
        page = client.get(f"/incidents/{world.shooting}")
        assert page.status_code == 200 and f"/recordings/{world.shooting_rec}" not in page.text
    with acting_as(client, world.who("custodian")):
        shown = client.get(f"/api/incidents/{world.shooting}").json()["recordings"]
        assert [r["recording_id"] for r in shown] == [world.shooting_rec]


# -- complaints and civilian oversight -------------------------------------------------------


def test_oversight_sees_the_footage_of_the_complaints_it_handles(
    client: TestClient, world: World
) -> None:
    oversight = world.who("oversight")
    with acting_as(client, oversight):
        assert _listed(client) == []
        assert client.get(f"/api/recordings/{world.complaint_rec}").status_code == 404
    with acting_as(client, world.who("custodian")):
        made = client.post(
            "/api/complaints",
            json={
                "number": "OCC-26-9",
                "incident_id": world.complaint_inc,
                "agency_id": oversight.agency_id,
                "complainant": "R. Doe",
                "filed_at": T0.isoformat(),
            },
        )
        assert made.status_code == 201, made.text
        assert made.json()["agency_id"] == oversight.agency_id
    with acting_as(client, oversight):
        assert _listed(client) == [world.complaint_rec]
        assert [c["number"] for c in client.get("/api/complaints").json()] == ["OCC-26-9"]
        assert [i["id"] for i in client.get("/api/incidents").json()] == [world.complaint_inc]
        url = f"/api/recordings/{world.complaint_rec}/original"
        assert client.get(url).status_code == 403
        assert client.get(url, params={"reason": "complaint: OCC-26-9"}).status_code == 200
        assert client.get(url, params={"reason": "complaint: x", "download": 1}).status_code == 403
    with acting_as(client, world.who("mshp")):
        assert client.get("/api/complaints").status_code == 403  # no complaint:view


# -- lists agree with single checks; counts are scoped ----------------------------------------


ROLES = [
    "officer-east",
    "officer-west",
    "supervisor-east",
    "custodian",
    "internal-affairs",
    "mshp",
    "prosecutor",
    "oversight",
]


def test_lists_equal_single_checks_for_every_role(client: TestClient, world: World) -> None:
    for role in ROLES:
        with acting_as(client, world.who(role)):
            if client.get("/api/recordings").status_code == 403:
                listed: list[int] = []
            else:
                listed = _listed(client)
            single = sorted(
                rid
                for rid in world.all_recordings
                if client.get(f"/api/recordings/{rid}").status_code != 404
            )
            assert listed == single, role
            incident_ids = [world.shooting, world.protest, world.complaint_inc]
            answer = client.get("/api/incidents")
            listed_incidents = (
                sorted(i["id"] for i in answer.json()) if answer.status_code == 200 else []
            )
            single_incidents = sorted(
                i for i in incident_ids if client.get(f"/api/incidents/{i}").status_code == 200
            )
            assert listed_incidents == single_incidents, role


def test_pagination_counts_are_scoped(client: TestClient, world: World) -> None:
    for n in range(4):
        add_recording(world.runtime, officer_id=world.east, recorded_at=T0 - timedelta(hours=n))
    with acting_as(client, world.who("officer-east")):
        page = client.get("/api/recordings", params={"per_page": 2}).json()
        assert page["total"] == 6 and page["pages"] == 3 and len(page["items"]) == 2
        html = client.get("/recordings")
        assert "6 found" in html.text
    with acting_as(client, world.who("custodian")):
        assert client.get("/api/recordings", params={"per_page": 2}).json()["total"] == 9


def test_suggestions_are_scoped(client: TestClient, world: World) -> None:
    extra = add_recording(world.runtime, officer_id=world.west, recorded_at=T0)
    with acting_as(client, world.who("custodian")):
        found = client.get(f"/api/incidents/{world.protest}").json()["suggestions"]
        assert extra in [s["recording_id"] for s in found]
    with acting_as(client, world.who("supervisor-east")):
        # East's supervisor cannot open West's incident at all, nor see West's footage
        assert client.get(f"/api/incidents/{world.protest}").status_code == 404
        assert client.get(f"/api/recordings/{extra}").status_code == 404


# -- the recording page's reason form ------------------------------------------------------


def test_recording_page_asks_for_a_reason_then_carries_it(client: TestClient, world: World) -> None:
    with acting_as(client, world.who("custodian")):
        page = client.get(f"/recordings/{world.west_rec}")
        assert page.status_code == 200
        assert 'id="reason-form"' in page.text and 'value="records-request"' in page.text
        sent = client.get(
            f"/recordings/{world.west_rec}",
            params={"reason_id": "records-request", "reason_text": "PRR 26-114"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        assert sent.headers["location"].endswith("?reason=records-request%3A+PRR+26-114")
        shown = client.get(sent.headers["location"])
        assert 'id="reason-form"' not in shown.text
        assert "original?download=1&amp;reason=records-request%3A+PRR+26-114" in shown.text
    with acting_as(client, world.who("officer-west")):
        own = client.get(f"/recordings/{world.west_rec}")
        assert 'id="reason-form"' not in own.text
        assert "Download original" not in own.text  # officers do not download


def test_refusal_page_shows_the_rule(client: TestClient, world: World) -> None:
    with acting_as(client, world.who("officer-east")):
        page = client.get(f"/recordings/{world.shooting_rec}", headers={"Accept": "text/html"})
        assert page.status_code in (403, 404)
    with acting_as(client, world.who("mshp")):
        client.post(f"/api/incidents/{world.shooting}/custody/return", json={"reason": "done"})
    with acting_as(client, world.who("officer-east")):
        page = client.get(f"/recordings/{world.shooting_rec}", headers={"Accept": "text/html"})
        assert page.status_code == 403
        assert "report-before-review" in page.text


def test_retention_report_and_lists_are_scoped(client: TestClient, world: World) -> None:
    as_of = {"as_of": "2027-12-01"}
    with acting_as(client, world.who("custodian")):
        report = client.get("/api/retention/report", params=as_of).json()
        ids = {row["recording_id"] for row in report["to_schedule"]}
        assert {world.east_rec, world.west_rec} <= ids
        retention = client.get(f"/api/recordings/{world.east_rec}/retention")
        assert retention.status_code == 200
    with acting_as(client, world.who("administrator")):  # accounts, not footage
        report = client.get("/api/retention/report", params=as_of).json()
        assert report["to_schedule"] == [] and report["counts"]["to_schedule"] == 0
        assert client.get(f"/api/recordings/{world.east_rec}/retention").status_code == 404
        assert client.get("/api/retention/deletions", params={"status": ""}).json() == []
