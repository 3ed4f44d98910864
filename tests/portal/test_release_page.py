"""The release page and its JSON, with known answers: a release whose reviewed plan hides
three tracks (two faces and a plate; a fourth face kept visible) and mutes two ranges of
audio, whose case was paused twice (investigation active) and extended once, embargoed for
two days, and asked for by one records request. The page and ``/api/public/releases/{id}``
show exactly those facts, name no civilian, officer or staff member, link nothing private,
and an unpublished release is 404 in both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.evidence.models import Recording, RecordingFlag
from sunlight.incidents import service as incidents
from sunlight.ledger import checkpoints, cosign, log_identity, proofs, stored_log, witness_trust
from sunlight.ledger.verify import cosign_checkpoint, generate_witness_signer
from sunlight.redaction import service as redaction
from sunlight.redaction.models import RedactionJob
from sunlight.redaction.plan import AudioMute, Plan, PlanTrack, Reason
from sunlight.release import service as release
from sunlight.requests.intake import file_request
from sunlight.requests.matching import add_item
from sunlight.requests.models import RecordsRequest
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.portal.support import decide
from tests.release.support import T0, person
from tests.support.captions_data import approve_captions
from tests.support.evidence_data import add_officer, add_recording

DAY = timedelta(days=1)
CIVILIAN = "Jordan Quill"
OFFICER = "Officer Brandt Okonkwo"
ADDRESS = "4127 Troost Avenue"
CAD = "KC26-009901"
BASIS = "Witness interviews are still pending; release now would compromise them"
WITNESS = "news.example/witness"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


@dataclass
class Made:
    release_id: int
    incident_id: int
    original_id: int
    derived_id: int
    plan_sha256: str
    tracking: str
    received: date


def _plan(sha256: str) -> Plan:
    face = Reason(
        "RSMo 610.024",
        "Face of a person not relevant to the request: exempt material separated out.",
    )
    private = Reason("RSMo 610.024", f"Plate of {CIVILIAN}'s car at {ADDRESS}")
    box = (10.0, 10.0, 40.0, 40.0)
    return Plan(
        recording_sha256=sha256,
        width=640,
        height=360,
        fps=10.0,
        frame_count=100,
        tracks=[
            PlanTrack("a", [(0, box), (9, box)], kind="face", reason=face),  # 10 frames
            PlanTrack("b", [(5, box), (14, box)], kind="face", reason=face),  # 10 frames
            PlanTrack("c", [(20, box), (24, box)], kind="plate", reason=private),  # 5 frames
            PlanTrack("d", [(50, box), (60, box)], kind="face", keep_visible=True, reason=face),
        ],
        audio_mutes=[
            AudioMute(1.5, 3.0, "silence", Reason("RSMo 610.024", f"{CIVILIAN}'s phone number")),
            AudioMute(10.0, 12.25, "tone"),
        ],
    )


@dataclass
class Prepared:
    incident_id: int
    original_id: int
    derived_id: int
    agency_id: int | None
    plan_sha256: str


def _prepared(runtime: Runtime, cad: str) -> Prepared:
    """An assigned shooting (investigation active) whose original has a reviewed plan
    (version 2) and a redacted copy rendered from it."""
    officer = add_officer(runtime, cad[-4:], OFFICER, "Central Patrol Division")
    original = add_recording(runtime, officer_id=officer, recorded_at=T0 + timedelta(minutes=2))
    derived = add_recording(runtime, recorded_at=T0 + timedelta(minutes=3))
    with runtime.db.session() as session:
        incident = incidents.create_incident(
            session,
            cad_number=cad,
            type="officer-involved-shooting",
            started_at=T0,
            ended_at=T0 + timedelta(minutes=30),
            location=ADDRESS,
            unit="Central Patrol Division",
            narrative=f"{OFFICER} spoke with {CIVILIAN} at {ADDRESS}.",
            officer_badges=[cad[-4:]],
            actor="test:clerk",
            investigation_status="active",
        )
        incident_id = incident.id
        incidents.link_recording(session, incident_id, original, actor="test:clerk")
        incidents.assign_to_agency(
            session, incident_id, agency_id=None, actor="test:chief", reason="OIS protocol"
        )
        agency_id = incidents.get_incident(session, incident_id).agency_id
        sha = session.get(Recording, original)
        assert sha is not None
        original_sha = sha.sha256
    plan = _plan(original_sha)
    first = redaction.save_plan(runtime, original, plan, actor="test:redactor", source="detector")
    reviewed = redaction.save_plan(
        runtime, original, plan, actor="test:redactor", source="review", parent_id=first.id
    )
    with runtime.db.session() as session:
        session.add(
            RedactionJob(
                key=f"render:{original}:{derived}",
                kind="render",
                recording_id=original,
                plan_id=reviewed.id,
                status="done",
                progress=1.0,
                result_recording_id=derived,
                details={"sha256": "x", "c2pa": {"signed": True, "signer": "Test PD"}},
                created_by="test:redactor",
            )
        )
    approve_captions(runtime, derived)
    return Prepared(incident_id, original, derived, agency_id, reviewed.sha256)


def _status(runtime: Runtime, incident_id: int, to: str, day: int) -> None:
    with runtime.db.session() as session:
        incidents.set_investigation_status(
            session,
            incident_id,
            status=to,
            reason="not-pursued" if to == "inactive" else None,
            actor="test:prosecutor",
            on=(T0 + day * DAY).date(),
            today=(T0 + day * DAY).date(),
        )


def _released(runtime: Runtime, *, cad: str = CAD, embargo: bool = True) -> Made:
    p = _prepared(runtime, cad)
    incident_id, original, derived = p.incident_id, p.original_id, p.derived_id
    custodian = person(runtime, 1, "records-custodian")
    mshp = person(runtime, 50, "outside-investigator", agency_id=p.agency_id)

    def status(to: str, day: int) -> None:
        _status(runtime, incident_id, to, day)

    with runtime.db.session() as session:
        filed, _ = file_request(
            session,
            name=CIVILIAN,
            email="jq@example.org",
            requester_type="public",
            description=f"Video of what happened to {CIVILIAN} at {ADDRESS}",
            now=T0 + 3 * DAY,
        )
        add_item(
            session,
            filed,
            principal=custodian,
            why="the shooting",
            now=T0 + 3 * DAY,
            incident_id=incident_id,
        )
        tracking, received = filed.tracking_number, filed.received_date
    with runtime.db.session() as session:
        release.open_case(session, incident_id, principal=custodian, now=T0 + 2 * DAY)
    status("inactive", 5)
    with runtime.db.session() as session:
        release.move(session, incident_id, "in-review", principal=custodian, now=T0 + 6 * DAY)
    status("active", 9)
    with runtime.db.session() as session:
        release.move(session, incident_id, "closed", principal=custodian, now=T0 + 10 * DAY)
    status("inactive", 19)
    with runtime.db.session() as session:
        release.move(session, incident_id, "in-review", principal=custodian, now=T0 + 20 * DAY)
        candidate = release.add_candidate(
            session, incident_id, derived, principal=custodian, now=T0 + 21 * DAY
        )
        release.review_candidate(
            session,
            candidate.id,
            principal=custodian,
            plan_version=2,
            note=None,
            now=T0 + 22 * DAY,
        )
        candidate_id = candidate.id
        release.extend(
            session,
            incident_id,
            principal=mshp,
            basis=BASIS,
            estimated_release=(T0 + 60 * DAY).date(),
            now=T0 + 30 * DAY,
        )
        release.move(session, incident_id, "ready", principal=custodian, now=T0 + 35 * DAY)
        made = release.decide_release(
            session,
            incident_id,
            principal=mshp,
            candidate_ids=[candidate_id],
            now=T0 + 40 * DAY,
            embargo_until=(T0 + 42 * DAY) if embargo else None,
        )
        release_id = made[0].id
    if embargo:
        release.sweep(runtime.db, T0 + 42 * DAY + timedelta(hours=1))
    return Made(release_id, incident_id, original, derived, p.plan_sha256, tracking, received)


def _witness(runtime: Runtime) -> None:
    """Seal, then a witness cosigns the checkpoint (quorum 0: counted all the same)."""
    checkpoint = checkpoints.seal_and_checkpoint(runtime)
    wskey, wvkey = generate_witness_signer(WITNESS)
    witness_trust.add_witness(runtime, wvkey, actor="test")
    text = checkpoint.note[: checkpoint.note.index("\n\n") + 1]
    cosign.add_cosignature(runtime, text, cosign_checkpoint(text, wskey, 1_700_000_000))


def _secrets(runtime: Runtime, made: Made) -> list[str]:
    with runtime.db.session(read_only=True) as session:
        names = [
            r.original_filename
            for r in session.scalars(
                select(Recording).where(Recording.id.in_([made.original_id, made.derived_id]))
            )
        ]
        email = session.scalar(select(RecordsRequest.requester_email))
    assert email is not None
    return [
        CIVILIAN, "Quill", OFFICER, "Okonkwo", ADDRESS, "Troost", CAD, email, *names,
        "user:", "test:", "records-custodian 1", "outside-investigator 50",
        "/recordings/", "/incidents/", "/requests/track",
    ]  # fmt: skip


def test_release_page_shows_exactly_the_known_facts(runtime: Runtime, client: TestClient) -> None:
    made = _released(runtime)
    _witness(runtime)
    with runtime.db.session(read_only=True) as session:
        index = proofs.leaves_for_events(
            session, [proofs.ingest_event_id(session, made.derived_id)]
        )
        (leaf,) = index.values()
        size = stored_log.latest_checkpoint(session)
        assert size is not None
    origin = log_identity.identity(runtime).origin

    data = client.get(f"/api/public/releases/{made.release_id}")
    assert data.status_code == 200, data.text
    out = data.json()
    assert out["id"] == made.release_id
    assert out["context"] == {
        "incident_type": "officer-involved-shooting",
        "incident_type_label": "Officer-involved shooting",
        "incident_date": "2026-05-08",
        "area": "Central Patrol Division",
        "area_note": None,
        "released_at": out["context"]["released_at"],
        "media_type": "video/mp4",
    }
    assert out["context"]["released_at"].startswith("2026-06-19T15:00")
    assert out["embargo_until"].startswith("2026-06-19T14:00")

    steps = [(s["at"], s["kind"], s["text"], s["by"], s["days"]) for s in out["timeline"]]
    mshp, kcpd = "Missouri Highway Patrol", "Kansas City Police Department"
    assert steps == [
        ("2026-05-08", "incident", "Incident", None, None),
        ("2026-05-10", "state", "Case opened (investigation active)", kcpd, 2),
        (made.received.isoformat(), "request", "Records request received", None,
         (made.received - date(2026, 5, 10)).days),
        ("2026-05-14", "state", "Footage under review and redaction (investigation inactive)",
         kcpd, (date(2026, 5, 14) - made.received).days),
        ("2026-05-18", "state", "Paused: the investigation is active again", kcpd, 4),
        ("2026-05-28", "state", "Footage under review and redaction (investigation inactive)",
         kcpd, 10),
        ("2026-06-07", "extension", "Release clock extended", mshp, 10),
        ("2026-06-12", "state", "Redacted copy delivered for decision", kcpd, 5),
        ("2026-06-17", "embargo", "Release decided, embargoed", mshp, 5),
        ("2026-06-19", "published", "Embargo lifted: published", kcpd, 2),
    ]  # fmt: skip
    by_kind = {s["kind"]: s for s in out["timeline"]}
    assert by_kind["request"]["note"] == made.tracking
    assert by_kind["extension"]["note"] == BASIS
    assert by_kind["extension"]["until"] == "2026-07-07"
    assert by_kind["embargo"]["until"] == "2026-06-19"
    assert [(p["start"], p["end"], p["days"], p["statute"]) for p in out["pauses"]] == [
        ("2026-05-10", "2026-05-14", 4, "RSMo 610.100.2(1)"),
        ("2026-05-18", "2026-05-28", 10, "RSMo 610.100.2(1)"),
    ]
    assert out["extensions"] == [
        {"at": "2026-06-07", "days": 30, "basis": BASIS, "estimated_release": "2026-07-07",
         "by": mshp}
    ]  # fmt: skip
    assert out["requests"] == [
        {"tracking_number": made.tracking, "received_date": made.received.isoformat()}
    ]

    m = out["manifest"]
    assert (m["plan_version"], m["plan_sha256"], m["readable"]) == (2, made.plan_sha256, True)
    assert (m["tracks"], m["kept_visible"], m["boxes"], m["frames"], m["frame_count"]) == (
        3, 1, 25, 20, 100,
    )  # fmt: skip
    assert [(k["kind"], k["tracks"], k["boxes"]) for k in m["kinds"]] == [
        ("face", 2, 20),
        ("plate", 1, 5),
    ]
    assert [(u["start_s"], u["end_s"], u["mode"]) for u in m["mutes"]] == [
        (1.5, 3.0, "silence"),
        (10.0, 12.25, "tone"),
    ]
    assert (m["mute_count"], m["muted_seconds"]) == (2, 3.75)
    # the schema's default wording is shown; wording a reviewer wrote is not
    assert {(w["statute"], w["text"]) for w in m["reasons"]} == {
        ("RSMo 610.024", "Face of a person not relevant to the request: exempt material "
         "separated out."),
        ("RSMo 610.024", "Audio with exempt personal information: exempt material separated "
         "out."),
        ("RSMo 610.024", None),
    }  # fmt: skip
    assert m["defaults"] == [
        "Faces",
        "License plates",
        "Screens",
        "Personal information in the audio",
    ]
    assert (m["reviewed_at"], m["reviewer_agency"]) == ("2026-05-30", kcpd)

    b = out["badge"]
    assert b["leaf_index"] == leaf.leaf_index and b["checkpoint_size"] == size.size
    assert (b["log_origin"], b["witnesses"], b["witnessed"]) == (origin, [WITNESS], True)
    assert b["proof_url"] == f"/api/public/releases/{made.release_id}/proof"

    page = client.get(f"/public/releases/{made.release_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert f"in the custody log at index {leaf.leaf_index}, ingested at " in html
    assert f"in a checkpoint of size {size.size} signed by {origin}." in html
    assert f"Cosigned by {WITNESS}." in html
    assert f'href="/api/public/releases/{made.release_id}/proof"' in html
    assert 'id="area">Central Patrol Division<' in html
    assert '<dd id="tracks">3</dd>' in html and '<dd id="boxes">25</dd>' in html
    assert '<dd id="frames">20 of 100</dd>' in html
    assert '<dd id="mutes">2 (3.75 seconds in all)</dd>' in html
    assert made.plan_sha256 in html and made.tracking in html and BASIS in html
    assert "Estimated release date: 2026-07-07" in html
    assert "Embargoed until 2026-06-19" in html
    for secret in _secrets(runtime, made):
        assert secret not in html, secret
        assert secret not in json.dumps(out), secret


def test_an_unpublished_release_is_404_on_the_page_and_in_json(
    runtime: Runtime, client: TestClient
) -> None:
    made = _released(runtime, cad="KC26-009902", embargo=False)
    with runtime.db.session() as session:
        from sunlight.release.models import Release

        found = session.get(Release, made.release_id)
        assert found is not None
        found.public = False
    for path in (
        f"/public/releases/{made.release_id}",
        f"/api/public/releases/{made.release_id}",
        "/api/public/releases/98765",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert CIVILIAN not in answer.text
    schema = client.get("/api/openapi.json").json()
    route = schema["paths"]["/api/public/releases/{release_id}"]["get"]
    ref = route["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/PublicReleaseDetailOut")
    fields = schema["components"]["schemas"]["PublicReleaseDetailOut"]["properties"]
    assert {"context", "timeline", "manifest", "badge"} <= set(fields)


def test_nonpublic_location_hides_the_area_and_unsealed_says_pending(
    runtime: Runtime, client: TestClient
) -> None:
    made = _released(runtime, cad="KC26-009903", embargo=False)
    with runtime.db.session() as session:
        session.add(
            RecordingFlag(
                recording_id=made.original_id,
                kind="nonpublic-location",
                reason="inside a dwelling",
                created_by="test:clerk",
            )
        )
    out = client.get(f"/api/public/releases/{made.release_id}").json()
    assert out["context"]["area"] is None
    assert out["context"]["area_note"] == "Not published: recorded in a nonpublic location"
    assert out["embargo_until"] is None
    kinds = [s["kind"] for s in out["timeline"]]
    assert "embargo" not in kinds and kinds[-1] == "state"
    assert out["timeline"][-1]["text"] == "Release decided"
    assert out["badge"]["leaf_index"] is None and out["badge"]["checkpoint_size"] is None
    html = client.get(f"/public/releases/{made.release_id}").text
    assert "Central Patrol Division" not in html
    assert "not sealed into the custody log yet" in html


def test_a_plan_missing_from_the_store_shows_the_recorded_counts_only(
    runtime: Runtime, client: TestClient
) -> None:
    done = decide(runtime, client, cad="KC26-009904")  # its plan rows name no stored file
    out = client.get(f"/api/public/releases/{done.release_id}").json()
    m = out["manifest"]
    assert (m["plan_version"], m["readable"], m["tracks"], m["mute_count"]) == (2, False, 0, 0)
    assert m["kinds"] == [] and m["mutes"] == [] and m["boxes"] == 0
    assert out["requests"] == [] and out["pauses"] == [] and out["extensions"] == []
    assert out["context"]["area"] is None
    assert out["context"]["area_note"] == "Area not published"
    html = client.get(f"/public/releases/{done.release_id}").text
    assert "these are the counts recorded with it" in html
    assert "No records request named this footage." in html


def test_a_court_ordered_release_shows_the_petition_the_order_and_the_holds(
    runtime: Runtime, client: TestClient
) -> None:
    p = _prepared(runtime, "KC26-009905")
    custodian = person(runtime, 1, "records-custodian")
    mshp = person(runtime, 50, "outside-investigator", agency_id=p.agency_id)
    court, docket = "Circuit Court of Jackson County", "2616-CV-01234"
    with runtime.db.session() as session:
        release.open_case(session, p.incident_id, principal=custodian, now=T0 + 2 * DAY)
        candidate = release.add_candidate(
            session, p.incident_id, p.derived_id, principal=custodian, now=T0 + 3 * DAY
        )
        release.review_candidate(
            session, candidate.id, principal=custodian, plan_version=2, note=None, now=T0 + 4 * DAY
        )
        release.withhold(
            session,
            p.incident_id,
            principal=mshp,
            statute="RSMo 610.100.2(3)",
            reason=f"Recorded inside the home of {CIVILIAN}",
            now=T0 + 5 * DAY,
        )
        filed = release.file_petition(
            session,
            p.incident_id,
            principal=custodian,
            court=court,
            case_number=docket,
            petitioner=CIVILIAN,
            filed_on=(T0 + 10 * DAY).date(),
            now=T0 + 10 * DAY,
        )
        ordered = release.record_order(
            session,
            filed.id,
            principal=custodian,
            outcome="release",
            ordered_on=(T0 + 20 * DAY).date(),
            now=T0 + 20 * DAY,
            candidate_ids=[candidate.id],
        )
        release.confirm_order(
            session,
            ordered.id,
            principal=person(runtime, 2, "records-custodian"),
            now=T0 + 20 * DAY,
        )
        # an order nobody has confirmed is not in force, and not on the public timeline
        release.record_order(
            session,
            filed.id,
            principal=custodian,
            outcome="deny",
            ordered_on=(T0 + 21 * DAY).date(),
            now=T0 + 21 * DAY,
        )
        (made,) = release.released_copies(session, p.incident_id)
    found = client.get("/api/public/releases")
    (listed,) = [r for r in found.json() if r["incident_date"] == "2026-05-08"]
    out = client.get(f"/api/public/releases/{listed['id']}").json()
    mshp_name, kcpd = "Missouri Highway Patrol", "Kansas City Police Department"
    steps = [(s["at"], s["kind"], s["text"], s["by"], s["statute"]) for s in out["timeline"]]
    assert steps == [
        ("2026-05-08", "incident", "Incident", None, None),
        ("2026-05-10", "state", "Case opened (investigation active)", kcpd, "RSMo 610.100.2(1)"),
        ("2026-05-13", "state", "Withheld", mshp_name, "RSMo 610.100.2(3)"),
        ("2026-05-18", "petition", "Petition filed in court", None, "RSMo 610.100"),
        ("2026-05-28", "order", "Court order: release", court, "RSMo 610.100"),
        ("2026-05-28", "state", "Released by court order", None, "RSMo 610.100"),
    ]
    assert out["timeline"][3]["note"] == court
    assert [(q["start"], q["end"], q["days"], q["statute"]) for q in out["pauses"]] == [
        ("2026-05-10", "2026-05-13", 3, "RSMo 610.100.2(1)"),
        ("2026-05-13", "2026-05-28", 15, "RSMo 610.100.2(3)"),
        ("2026-05-18", "2026-05-28", 10, "RSMo 610.100"),
    ]
    assert out["embargo_until"] is None and made.public
    html = client.get(f"/public/releases/{listed['id']}").text
    assert "Petition pending in court" in html and court in html
    for secret in (CIVILIAN, "Quill", docket, "inside the home"):
        assert secret not in html, secret
        assert secret not in str(out), secret
