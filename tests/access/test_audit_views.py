"""The audit views: who accessed a recording, a principal's history, refused attempts,
CSV exports (RFC 4180, no formula injection), and the chain-of-custody report, whose
proofs verify with the ledger's own verifier."""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from sunlight.access import Principal
from sunlight.audit import views
from sunlight.audit.csvout import COLUMNS, csv_lines, safe_cell
from sunlight.audit.report import verify_report
from sunlight.audit.views import AuditRow
from sunlight.db.base import utcnow
from sunlight.evidence import shares
from sunlight.evidence.custody import Action, Outcome, events_for, record
from sunlight.ledger import checkpoints, log_identity, witness_trust
from sunlight.ledger import witness as w
from sunlight.ledger.verify import VerificationError
from sunlight.runtime import Runtime
from tests.access.share_support import (
    AsPrincipal,
    acting,
    agency_id,
    app_client,
    custodian,
    new_recording,
    prosecutor,
    user,
)

LOG = "http://testserver"


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with app_client(runtime) as test_client:
        yield test_client


@pytest.fixture
def as_principal(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> AsPrincipal:
    return acting(client, monkeypatch)


def add(
    runtime: Runtime,
    actor: str,
    action: Action,
    object_id: int | str,
    *,
    object_type: str = "recording",
    outcome: Outcome = Outcome.SUCCESS,
    reason: str | None = None,
    rule: str | None = None,
    at: datetime | None = None,
) -> int:
    details: dict[str, Any] = {}
    if rule:
        details = {"rule": rule, "permission": "recording:stream"}
    with runtime.db.session() as session:
        event = record(
            session,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            reason=reason,
            details=details,
            at=at,
        )
        return event.id


@pytest.fixture
def history(runtime: Runtime) -> dict[str, Any]:
    """Two recordings; views, streams, downloads, refusals and a share use by several
    principals, and events that are not accesses."""
    rid, other = new_recording(runtime), new_recording(runtime, "Other")
    old = utcnow() - timedelta(days=3)
    ids = {
        "view": add(runtime, "user:7", Action.VIEW, rid, rule="custodians-metadata", at=old),
        "stream": add(
            runtime,
            "user:7",
            Action.STREAM,
            rid,
            reason="court: case 24-1",
            rule="custodians-footage",
        ),
        "flag": add(runtime, "user:7", Action.FLAG, rid),
        "denied": add(
            runtime,
            "user:8",
            Action.STREAM,
            rid,
            outcome=Outcome.DENIED,
            reason="A reason is required.",
            rule="supervisors-unit-footage",
        ),
        "other_view": add(runtime, "user:7", Action.VIEW, other),
        "incident_denied": add(
            runtime,
            "user:8",
            Action.INCIDENT_LINK,
            3,
            object_type="incident",
            outcome=Outcome.DENIED,
            rule="outside-custody-lock",
        ),
        "share_use": add(runtime, "share:5", Action.SHARE_USE, rid, reason="court"),
        "download": add(runtime, "user:9", Action.DOWNLOAD, rid, reason='=HYPERLINK("x")'),
    }
    return {"rid": rid, "other": other, "ids": ids}


def test_who_accessed_a_recording(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, history: dict[str, Any]
) -> None:
    as_principal(custodian(runtime))
    rid, ids = history["rid"], history["ids"]
    page = client.get(f"/api/audit/recordings/{rid}")
    assert page.status_code == 200
    items = page.json()["items"]
    assert [e["id"] for e in items] == [
        ids["download"],
        ids["share_use"],
        ids["denied"],
        ids["stream"],
        ids["view"],
    ]  # newest first; no ingest, no flag, nothing of the other recording
    stream = next(e for e in items if e["id"] == ids["stream"])
    assert stream["actor"] == "user:7" and stream["reason"] == "court: case 24-1"
    assert stream["rule"] == "custodians-footage" and stream["permission"] == "recording:stream"
    denied = next(e for e in items if e["id"] == ids["denied"])
    assert denied["outcome"] == "denied" and denied["rule"] == "supervisors-unit-footage"

    everything = client.get(f"/api/audit/recordings/{rid}", params={"all": "true"}).json()
    actions = [e["action"] for e in everything["items"]]
    assert "ingest" in actions and "flag" in actions
    assert "audit.view" in actions  # reading the access record is itself recorded

    # keyset pages: no overlap, no gap
    first = client.get(f"/api/audit/recordings/{rid}", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_before"] == first["items"][-1]["id"]
    second = client.get(
        f"/api/audit/recordings/{rid}", params={"limit": 2, "before": first["next_before"]}
    ).json()
    third = client.get(
        f"/api/audit/recordings/{rid}", params={"limit": 2, "before": second["next_before"]}
    ).json()
    paged = [e["id"] for p in (first, second, third) for e in p["items"]]
    assert paged == [e["id"] for e in items] and third["next_before"] is None

    assert client.get("/api/audit/recordings/999999").status_code == 404
    assert client.get(f"/api/audit/recordings/{rid}", params={"limit": 501}).status_code == 422


def test_a_principals_history_and_refused_attempts(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, history: dict[str, Any]
) -> None:
    as_principal(custodian(runtime))
    ids = history["ids"]
    mine = client.get("/api/audit/users/user:7").json()["items"]
    assert [e["id"] for e in mine] == [ids["other_view"], ids["flag"], ids["stream"], ids["view"]]
    views_only = client.get("/api/audit/users/user:7", params={"action": "view"}).json()
    assert [e["id"] for e in views_only["items"]] == [ids["other_view"], ids["view"]]
    assert client.get("/api/audit/users/nobody:1").json()["items"] == []
    assert client.get("/api/audit/users/bad actor").status_code == 422

    denied = client.get("/api/audit/denied").json()["items"]
    assert [e["id"] for e in denied] == [ids["incident_denied"], ids["denied"]]
    on_recordings = client.get("/api/audit/denied", params={"object_type": "recording"}).json()
    assert [e["id"] for e in on_recordings["items"]] == [ids["denied"]]
    by_action = client.get("/api/audit/denied", params={"action": "incident.link"}).json()
    assert [e["id"] for e in by_action["items"]] == [ids["incident_denied"]]
    future = (utcnow() + timedelta(hours=1)).isoformat()
    assert client.get("/api/audit/denied", params={"since": future}).json()["items"] == []
    assert len(client.get("/api/audit/denied", params={"until": future}).json()["items"]) == 2
    naive = client.get("/api/audit/denied", params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422

    # reading them was recorded: one event per view within minutes, by the reader
    with runtime.db.session(read_only=True) as session:
        reads = events_for(session, "audit", "denied")
    assert {e.actor for e in reads} == {"user:1"} and all(e.action == "audit.view" for e in reads)
    assert len(reads) == 1


def test_audit_needs_audit_view(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, history: dict[str, Any]
) -> None:
    rid = history["rid"]
    paths = [
        f"/api/audit/recordings/{rid}",
        f"/api/audit/recordings/{rid}/csv",
        "/api/audit/users/user:7",
        "/api/audit/denied",
        "/api/audit/denied/csv",
        "/audit",
        "/audit/denied",
    ]
    officer = user(runtime, 20, "officer", officer_id=None)
    for principal in (officer, prosecutor(runtime), user(runtime, 21, "supervisor", unit="A")):
        as_principal(principal)
        for path in paths:
            assert client.get(path).status_code == 403, (principal.roles, path)
    for allowed in (
        user(runtime, 22, "administrator"),
        user(runtime, 23, "internal-affairs"),
        custodian(runtime),
    ):
        as_principal(allowed)
        for path in paths:
            assert client.get(path).status_code == 200, (allowed.roles, path)


def test_csv_is_rfc4180_with_stable_columns_and_no_formulas() -> None:
    assert COLUMNS == (
        "event_id",
        "occurred_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "reason",
        "rule",
        "permission",
    )
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("ordinary, text") == "ordinary, text" and safe_cell(None) == ""
    row = AuditRow(
        id=4,
        occurred_at=datetime(2026, 12, 3, 14, 0, tzinfo=UTC),
        actor="user:2",
        action="view",
        object_type="recording",
        object_id="9",
        outcome="success",
        reason='he said "stop", then\nleft',
        rule="-rule",
        permission="@p",
    )
    text = "".join(csv_lines([row]))
    assert text.split("\r\n")[0] == ",".join(COLUMNS)
    assert text.endswith("\r\n")
    assert '"he said ""stop"", then\nleft"' in text  # quoted, quotes doubled
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[1] == [
        "4",
        "2026-12-03T14:00:00+00:00",
        "user:2",
        "view",
        "recording",
        "9",
        "success",
        'he said "stop", then\nleft',
        "'-rule",
        "'@p",
    ]


def test_csv_exports(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, history: dict[str, Any]
) -> None:
    as_principal(custodian(runtime))
    rid, ids = history["rid"], history["ids"]
    response = client.get(f"/api/audit/recordings/{rid}/csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert [int(r["event_id"]) for r in rows] == [
        ids["download"],
        ids["share_use"],
        ids["denied"],
        ids["stream"],
        ids["view"],
    ]
    assert rows[0]["reason"] == '\'=HYPERLINK("x")'  # never a formula
    denied = list(csv.DictReader(io.StringIO(client.get("/api/audit/denied/csv").text)))
    assert {r["rule"] for r in denied} == {"supervisors-unit-footage", "outside-custody-lock"}
    history_csv = client.get("/api/audit/users/user:7/csv", params={"action": "view"}).text
    assert len(list(csv.DictReader(io.StringIO(history_csv)))) == 2
    # an export is always recorded
    with runtime.db.session(read_only=True) as session:
        reads = [
            e
            for e in events_for(session, "recording", rid)
            if e.action == "audit.view" and e.details.get("what") == "access record CSV"
        ]
    assert len(reads) == 1 and reads[0].actor == "user:1"


def test_audit_pages(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, history: dict[str, Any]
) -> None:
    as_principal(custodian(runtime))
    rid = history["rid"]
    home = client.get("/audit")
    assert home.status_code == 200 and "supervisors-unit-footage" in home.text
    page = client.get(f"/audit/recordings/{rid}")
    assert page.status_code == 200
    assert "court: case 24-1" in page.text and "custodians-footage" in page.text
    assert f"/api/audit/recordings/{rid}/csv" in page.text
    assert "no-store" in page.headers["cache-control"]
    assert "&#34;" in page.text or "&quot;" in page.text  # the reason is escaped, not raw
    small = client.get("/audit/users/user:7")
    assert small.status_code == 200 and "Access history of user:7" in small.text
    denied = client.get("/audit/denied", params={"object_type": "incident"})
    assert "outside-custody-lock" in denied.text and "supervisors-unit-footage" not in denied.text
    found = client.get("/audit/recordings", params={"id": rid}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/audit/recordings/{rid}"
    who = client.get("/audit/users", params={"actor": "user:7"}, follow_redirects=False)
    assert who.headers["location"] == "/audit/users/user:7"
    for body in (home.text, page.text, small.text, denied.text):
        assert "<script" not in body


def _witnessed_log(runtime: Runtime, client: TestClient, tmp_path: Path) -> tuple[str, str]:
    state = tmp_path / "witness"
    witness_key = w.init(state, "news.example/witness")
    witness_trust.add_witness(runtime, witness_key, actor="test")
    checkpoints.seal_and_checkpoint(runtime)
    log_key = log_identity.identity(runtime).verifier_key
    w.run(state, LOG, log_key, http=client, submit=True)
    return log_key, witness_key


def test_chain_of_custody_report_carries_a_verifiable_proof(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, tmp_path: Path
) -> None:
    rid = new_recording(runtime)
    staff = as_principal(custodian(runtime))
    with runtime.db.session() as session:
        shares.create_share(
            session,
            recording_id=rid,
            recipient="JCPO",
            recipient_kind="prosecutor",
            agency_id=agency_id(runtime, "JCPO"),
            link=False,
            reason="court: case 24-1",
            actor=staff,
        )
    add(runtime, "user:7", Action.STREAM, rid, reason="court: case 24-1", rule="x")
    log_key, witness_key = _witnessed_log(runtime, client, tmp_path)

    response = client.get(f"/api/recordings/{rid}/custody-report")
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["cache-control"]
    report = response.json()
    assert report["format"] == "sunlight-custody-report/v1"
    with runtime.db.session(read_only=True) as session:
        expected = [(e.id, e.action) for e in events_for(session, "recording", rid)]
    assert [(e["id"], e["action"]) for e in report["events"]] == expected
    assert [e["action"] for e in report["events"]][:3] == ["ingest", "share.create", "stream"]
    assert report["checkpoint"]["witnessed"] is True
    assert [c["witness"] for c in report["checkpoint"]["cosigners"]] == ["news.example/witness"]
    assert report["log"]["key"] == log_key

    check = verify_report(report, log_key=log_key, witness_keys=[witness_key])
    assert check.verified_events == [e[0] for e in expected[:3]]
    assert check.pending_events == [e[0] for e in expected[3:]]  # this report's own reading
    assert check.witnesses == ["news.example/witness"]
    # without a pinned witness, a quorum of one cannot be met
    with pytest.raises(VerificationError):
        verify_report(report, log_key=log_key)
    # tampering with what the report says, or with a proof, is caught
    lied = copy.deepcopy(report)
    lied["events"][2]["actor"] = "user:99"
    with pytest.raises(VerificationError, match="another event"):
        verify_report(lied, log_key=log_key, witness_keys=[witness_key])
    broken = copy.deepcopy(report)
    broken["events"][1]["proof"]["inclusion"][0] = "00" * 32
    with pytest.raises(VerificationError):
        verify_report(broken, log_key=log_key, witness_keys=[witness_key])
    swapped = copy.deepcopy(report)
    swapped["recording"]["sha256"] = "ab" * 32
    with pytest.raises(VerificationError, match="SHA-256"):
        verify_report(swapped, log_key=log_key, witness_keys=[witness_key])

    page = client.get(f"/recordings/{rid}/custody-report")
    assert page.status_code == 200
    assert report["recording"]["sha256"] in page.text
    note_first_line = report["checkpoint"]["note"].splitlines()[0]
    assert note_first_line in page.text and "— news.example/witness" in page.text
    assert report["events"][1]["proof"]["inclusion"][0] in page.text
    assert "/static/custody-report.css" in page.text and "<script" not in page.text
    assert "@media print" in client.get("/static/custody-report.css").text


def test_custody_report_is_scoped(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal, tmp_path: Path
) -> None:
    rid = new_recording(runtime)
    lawyer: Principal = prosecutor(runtime)
    as_principal(lawyer)
    assert client.get(f"/api/recordings/{rid}/custody-report").status_code == 404
    assert client.get(f"/recordings/{rid}/custody-report").status_code == 404
    with runtime.db.session() as session:
        shares.create_share(
            session,
            recording_id=rid,
            recipient="JCPO",
            recipient_kind="prosecutor",
            agency_id=agency_id(runtime, "JCPO"),
            link=False,
            reason="court",
            actor=custodian(runtime),
        )
    report = client.get(f"/api/recordings/{rid}/custody-report")
    assert report.status_code == 200
    assert report.json()["checkpoint"] is None  # nothing sealed yet: said, not faked
    assert all(e["proof"] is None for e in report.json()["events"])
    assert "no signed checkpoint yet" in client.get(f"/recordings/{rid}/custody-report").text


@pytest.mark.parametrize(
    ("where", "index"),
    [
        (
            lambda: views.recording_where(7, views.AuditFilter(access_only=True)),
            "ix_custody_events_object",
        ),
        (lambda: views.actor_where("user:7", views.AuditFilter()), "ix_custody_events_actor_id"),
        (
            lambda: views.denied_where(views.AuditFilter(object_type="recording")),
            "ix_custody_events_outcome_id",
        ),
    ],
    ids=["recording", "actor", "denied"],
)
def test_each_audit_list_reads_an_index(runtime: Runtime, where: Any, index: str) -> None:
    """The archive holds millions of events: each audit list is one index range, never a
    scan of the table (the planner is told to avoid scans where it has a choice)."""
    query = views.page_query(where(), before=1000, limit=100)
    with runtime.db.session(read_only=True) as session:
        dialect = session.get_bind().dialect
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(r[0] for r in session.execute(text(f"EXPLAIN {sql}")))
        else:
            plan = "\n".join(str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert index in plan, plan
