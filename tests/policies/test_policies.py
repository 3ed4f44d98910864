"""Published policies: the version history keeps each adopted version's text, diffs,
proposals (validated, dated in the future), public comments with moderation, CSRF and rate
limit, and the decision (both back ends)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.errors import InvalidChange, InvalidInput
from sunlight.evidence.models import CustodyEvent
from sunlight.policies import service
from sunlight.policies.diff import line_diff
from sunlight.policies.registry import in_force
from sunlight.requests.fees import PACKAGED as FEES_FILE
from sunlight.requests.fees import load_fees
from sunlight.retention.policy import PACKAGED as RETENTION_FILE
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support.auth import SignedIn, make_session, sign_out, use_session

NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 20, 16, 0, tzinfo=UTC)
EFFECTIVE = "2026-12-15"


def retention_v3(effective: str = EFFECTIVE) -> str:
    text = RETENTION_FILE.read_text()
    text = re.sub(r"^version: \d+", "version: 3", text, count=1, flags=re.M)
    text = re.sub(r"^effective: .*$", f"effective: {effective}", text, count=1, flags=re.M)
    return text.replace("keep: {days: 180}", "keep: {days: 365}", 1)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with runtime.db.session() as session:
        service.record_in_force(session, in_force(), actor="system:serve", now=NOW)
    app = create_app(runtime, start_worker=False)
    clock = {"now": NOW}
    app.state.clock = lambda: clock["now"]
    app.state.test_clock = clock
    with TestClient(app) as test_client:
        yield test_client


def sign_in(client: TestClient, runtime: Runtime, roles: tuple[str, ...]) -> SignedIn:
    """A session made at the app's clock (the tests move it)."""
    now = client.app.state.test_clock["now"]  # type: ignore[attr-defined]
    signed = make_session(runtime, roles=roles, now=now)
    use_session(client, signed)
    return signed


def _propose(client: TestClient, runtime: Runtime) -> None:
    sign_in(client, runtime, ("records-custodian",))
    answer = client.post(
        "/api/policies/retention/proposals",
        json={"content": retention_v3(), "effective": EFFECTIVE, "summary": "Keep 1 year."},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "proposed"
    sign_out(client)


def test_line_diff_known_answer() -> None:
    old = "a: 1\nb: 2\nc: 3\n"
    new = "a: 1\nb: 20\nc: 3\nd: 4\n"
    got = [(x.change, x.old_line, x.new_line, x.text) for x in line_diff(old, new)]
    assert got == [
        ("same", 1, 1, "a: 1"),
        ("removed", 2, None, "b: 2"),
        ("added", None, 2, "b: 20"),
        ("same", 3, 3, "c: 3"),
        ("added", None, 4, "d: 4"),
    ]


def test_compact_diff_keeps_context_and_counts_gaps() -> None:
    from sunlight.policies.diff import Gap, compact

    old = "".join(f"line {i}\n" for i in range(1, 21))
    new = old.replace("line 10\n", "line ten\n")
    shown = compact(line_diff(old, new), context=2)
    assert shown[0] == Gap(7) and shown[-1] == Gap(8)
    texts = [x.text for x in shown if not isinstance(x, Gap)]
    assert texts == ["line 8", "line 9", "line 10", "line ten", "line 11", "line 12"]


def test_history_keeps_each_adopted_versions_text(runtime: Runtime, tmp_path: Path) -> None:
    first = in_force()
    with runtime.db.session() as session:
        service.record_in_force(session, first, actor="system:serve", now=NOW)
        # the same files again: nothing new
        assert service.store_adopted(session, first[0], actor="system:serve", now=NOW) is None
    path = tmp_path / "retention.yaml"
    path.write_text(retention_v3())
    from sunlight.policies.registry import check_file

    second = check_file("retention", path)
    with runtime.db.session() as session:
        service.store_adopted(session, second, actor="system:serve", now=LATER)
    with runtime.db.session(read_only=True) as session:
        rows = service.versions(session, "retention")
        assert [(r.version, r.status) for r in rows] == [("3", "adopted"), ("2", "superseded")]
        assert rows[0].content == retention_v3()
        assert rows[1].content == RETENTION_FILE.read_text()
        events = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.object_type == "policy",
                CustodyEvent.object_id == "retention",
                CustodyEvent.action == "policy.version",
            )
        ).all()
        assert [e.details["status"] for e in events] == ["adopted", "superseded", "adopted"]
        assert {r.name for r in session.scalars(select(service.PolicyVersion))} == {
            "access",
            "retention",
            "release",
            "compliance",
            "holidays",
            "fees",
        }


def _execute(runtime: Runtime, statement: Any) -> None:
    with runtime.db.session() as session:
        session.execute(statement)


def test_a_stored_version_never_changes(runtime: Runtime) -> None:
    from sqlalchemy import text

    with runtime.db.session() as session:
        service.record_in_force(session, in_force(), actor="system:serve", now=NOW)
    for sql in (
        "UPDATE policy_versions SET content = 'changed'",
        "UPDATE policy_versions SET sha256 = 'x'",
        "DELETE FROM policy_versions",
    ):
        with pytest.raises(Exception, match="never changed"):
            _execute(runtime, text(sql))
    with runtime.db.session() as session:  # the status may change (a custody event each)
        session.execute(text("UPDATE policy_versions SET status = 'superseded'"))


def test_propose_refuses_invalid_file_and_past_date(runtime: Runtime) -> None:
    with pytest.raises(InvalidInput, match="retention policy"):
        service.check_text("retention", "version: 3\ncategories: nonsense\n")
    checked = service.check_text("retention", retention_v3())
    with runtime.db.session() as session:
        for when in (date(2026, 12, 7), date(2026, 12, 1)):
            with pytest.raises(InvalidChange, match="future"):
                service.propose(
                    session,
                    "retention",
                    checked,
                    effective=when,
                    summary="x",
                    actor="cli:test",
                    now=NOW,
                )


def test_propose_refuses_a_file_whose_effective_date_differs(runtime: Runtime) -> None:
    checked = service.check_text("retention", retention_v3("2026-12-20"))
    assert checked.effective == date(2026, 12, 20)
    with runtime.db.session() as session:
        with pytest.raises(InvalidChange, match="the file says effective: 2026-12-20") as refused:
            service.propose(
                session,
                "retention",
                checked,
                effective=date(2026, 12, 15),
                summary="x",
                actor="cli:test",
                now=NOW,
            )
        assert refused.value.diagnostics == {
            "effective": "2026-12-15",
            "file_effective": "2026-12-20",
        }
        made = service.propose(
            session,
            "retention",
            checked,
            effective=date(2026, 12, 20),
            summary="x",
            actor="cli:test",
            now=NOW,
        )
        assert made.effective_at == date(2026, 12, 20)


def test_propose_over_http_refuses_invalid_and_needs_permission(
    client: TestClient, runtime: Runtime
) -> None:
    body = {"content": retention_v3(), "effective": EFFECTIVE, "summary": "Keep 1 year."}
    assert client.post("/api/policies/retention/proposals", json=body).status_code == 401
    sign_in(client, runtime, ("officer",))
    assert client.post("/api/policies/retention/proposals", json=body).status_code == 403
    sign_out(client)
    sign_in(client, runtime, ("records-custodian",))
    bad = {**body, "content": "version: 3\nnot_a_field: 1\n"}
    assert client.post("/api/policies/retention/proposals", json=bad).status_code == 422
    past = {**body, "effective": "2026-12-01"}
    assert client.post("/api/policies/retention/proposals", json=past).status_code == 422
    # the file's own effective date must be the proposal's
    other = {**body, "effective": "2026-12-16"}
    answer = client.post("/api/policies/retention/proposals", json=other)
    assert answer.status_code == 422
    assert "the file says effective: 2026-12-15" in answer.text and "2026-12-16" in answer.text
    assert client.get("/api/public/policies/retention").json()["proposals"] == []
    assert client.post("/api/policies/nosuch/proposals", json=body).status_code == 404


def test_comments_moderated_then_published_with_decision(
    client: TestClient, runtime: Runtime
) -> None:
    _propose(client, runtime)
    page = client.get("/public/policies/retention")
    assert page.status_code == 200
    assert "Proposed version 3" in page.text
    assert "+ added" in page.text and "− removed" in page.text
    assert "keep: {days: 365}" in page.text
    # two comments from the public: no account
    first = client.post(
        "/public/policies/retention/versions/3/comments",
        data={"name": "Pat", "comment": "A year is better."},
    )
    assert first.status_code == 200, first.text
    second = client.post(
        "/api/public/policies/retention/versions/3/comments",
        json={"comment": "Spam spam spam."},
    )
    assert second.status_code == 202
    # not public until moderated
    assert "A year is better." not in client.get("/public/policies/retention").text
    assert client.get("/api/public/policies/retention").json()["proposals"][0]["comments"] == []
    # staff moderate
    sign_in(client, runtime, ("records-custodian",))
    listed = client.get("/api/policies/retention/proposals/3/comments").json()
    assert [c["status"] for c in listed] == ["pending", "pending"]
    # a decision waits for every comment to be moderated
    decision = {"decision": "adopt", "reason": "Comments supported a longer period."}
    early = client.post("/api/policies/retention/proposals/3/decision", json=decision)
    assert early.status_code == 422
    ok = client.post(
        f"/api/policy-comments/{listed[0]['id']}/moderate",
        json={"status": "approved", "response": "Agreed; the proposal does that."},
    )
    assert ok.status_code == 200
    no = client.post(
        f"/api/policy-comments/{listed[1]['id']}/moderate", json={"status": "rejected"}
    )
    assert no.status_code == 200
    decided = client.post("/api/policies/retention/proposals/3/decision", json=decision)
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"] == "adopt" and decided.json()["status"] == "proposed"
    sign_out(client)
    public = client.get("/api/public/policies/retention").json()
    (proposal,) = public["proposals"]
    assert [c["body"] for c in proposal["comments"]] == ["A year is better."]
    assert proposal["comments"][0]["response"] == "Agreed; the proposal does that."
    assert proposal["version"]["decision_reason"] == "Comments supported a longer period."
    text = client.get("/public/policies/retention").text
    assert "A year is better." in text and "Spam spam" not in text
    assert "Comments supported a longer period." in text
    # the effective date passing does not switch the live file
    client.app.state.test_clock["now"] = LATER  # type: ignore[attr-defined]
    assert client.get("/api/public/policies/retention").json()["current"]["version"] == "2"
    # the operator installs the file: serve records it; the record shows proposed -> adopted
    with runtime.db.session() as session:
        checked = service.check_text("retention", retention_v3())
        service.store_adopted(session, checked, actor="system:serve", now=LATER)
    after = client.get("/api/public/policies/retention").json()
    assert after["current"]["version"] == "3"
    assert after["proposals"][0]["version"]["status"] == "adopted"
    assert [v["version"] for v in after["history"]] == ["3", "2"]


def test_comments_after_effective_date_refused(client: TestClient, runtime: Runtime) -> None:
    _propose(client, runtime)
    client.app.state.test_clock["now"] = datetime(2026, 12, 15, 6, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    late = client.post(
        "/api/public/policies/retention/versions/3/comments", json={"comment": "Too late?"}
    )
    assert late.status_code == 422
    form = client.post("/public/policies/retention/versions/3/comments", data={"comment": "x"})
    assert form.status_code == 422
    assert "Comment on this proposal" not in client.get("/public/policies/retention").text


def test_withdrawn_proposal_takes_no_comments(client: TestClient, runtime: Runtime) -> None:
    _propose(client, runtime)
    sign_in(client, runtime, ("administrator",))
    answer = client.post(
        "/api/policies/retention/proposals/3/decision",
        json={"decision": "withdraw", "reason": "Withdrawn for a new draft."},
    )
    assert answer.status_code == 200 and answer.json()["status"] == "withdrawn"
    sign_out(client)
    refused = client.post(
        "/api/public/policies/retention/versions/3/comments", json={"comment": "Hello"}
    )
    assert refused.status_code == 422
    assert "Withdrawn for a new draft." in client.get("/public/policies/retention").text
    # one withdrawn version: "Retirada" (its own context), never the plural "Retiradas"
    spanish = client.get("/public/policies/retention", params={"lang": "es"}).text
    assert "<dt>Estado</dt><dd>Retirada</dd>" in spanish and "Retiradas" not in spanish


def test_comment_size_cap_csrf_and_rate_limit(client: TestClient, runtime: Runtime) -> None:
    from sunlight.requests.web_common import RateLimit

    _propose(client, runtime)
    url = "/api/public/policies/retention/versions/3/comments"
    too_long = client.post(url, json={"comment": "x" * (service.MAX_COMMENT_CHARS + 1)})
    assert too_long.status_code == 422
    # a cross-site form post is refused
    evil = client.post(
        "/public/policies/retention/versions/3/comments",
        data={"comment": "hi"},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    # a signed-in browser must present its session's CSRF token
    signed = sign_in(client, runtime, ("officer",))
    client.headers.pop("X-CSRF-Token")
    no_token = client.post("/public/policies/retention/versions/3/comments", data={"comment": "hi"})
    assert no_token.status_code == 403
    with_token = client.post(
        "/public/policies/retention/versions/3/comments",
        data={"comment": "hi", "csrf_token": signed.csrf_token},
    )
    assert with_token.status_code == 200
    page = client.get("/public/policies/retention")
    assert f'name="csrf_token" value="{signed.csrf_token}"' in page.text
    sign_out(client)
    client.app.state.policy_comment_rate_limit = RateLimit(2, 3600)  # type: ignore[attr-defined]
    codes = [client.post(url, json={"comment": f"c{i}"}).status_code for i in range(3)]
    assert codes == [202, 202, 429]


def test_a_refused_comment_gives_its_slot_back(client: TestClient, runtime: Runtime) -> None:
    """An empty comment, or one on a version that does not exist, stores nothing and does
    not use up the address's comments; a flood of them still meets the attempts ceiling."""
    from sunlight.requests.web_common import RateLimit

    _propose(client, runtime)
    url = "/api/public/policies/retention/versions/3/comments"
    client.app.state.policy_comment_rate_limit = RateLimit(2, 3600, attempts=7)  # type: ignore[attr-defined]
    assert client.post(url, json={"comment": ""}).status_code == 422
    assert client.post(url.replace("/3/", "/99/"), json={"comment": "hi"}).status_code == 404
    form = "/public/policies/retention/versions/3/comments"
    assert client.post(form, data={"comment": ""}).status_code == 422
    assert client.post(form.replace("/3/", "/99/"), data={"comment": "hi"}).status_code == 404
    codes = [client.post(url, json={"comment": f"c{i}"}).status_code for i in range(3)]
    assert codes == [202, 202, 429]
    client.app.state.policy_comment_rate_limit = RateLimit(2, 3600, attempts=3)  # type: ignore[attr-defined]
    codes = [client.post(url, json={"comment": ""}).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]


def test_public_pages_list_diff_and_raw(client: TestClient, runtime: Runtime) -> None:
    index = client.get("/public/policies")
    assert index.status_code == 200
    for title in ("Video retention schedule", "Release of video to the public"):
        assert title in index.text
    listed = client.get("/api/public/policies").json()
    retention = next(p for p in listed if p["name"] == "retention")
    assert retention["current"]["version"] == "2" and len(retention["current"]["sha256"]) == 64
    page = client.get("/public/policies/retention")
    assert page.status_code == 200
    # readable, not raw YAML: headings and a table with plain-language labels
    assert "How long each kind of video is kept" in page.text and "<table" in page.text
    assert "grace_period_days" not in page.text
    raw = client.get(retention["current"]["raw_url"])
    assert raw.status_code == 200 and raw.text == RETENTION_FILE.read_text()
    assert raw.headers["x-content-sha256"] == retention["current"]["sha256"]
    assert client.get("/public/policies/nosuch").status_code == 404
    _propose(client, runtime)
    diff = client.get("/api/public/policies/retention/diff", params={"from": "2", "to": "3"})
    assert diff.status_code == 200
    body = diff.json()
    assert body["added"] == 3 and body["removed"] == 3  # version, effective date, one period
    changed = [(x["change"], x["text"]) for x in body["lines"] if x["change"] != "same"]
    assert ("added", "version: 3") in changed and ("removed", "version: 2") in changed
    assert ("added", f"effective: {EFFECTIVE}") in changed
    html = client.get("/public/policies/retention/diff?from=2&to=3")
    assert html.status_code == 200 and "+ added" in html.text and "− removed" in html.text
    missing = client.get("/public/policies/retention/diff?from=2&to=9")
    assert missing.status_code == 404


def test_staff_page_moderates_and_decides(client: TestClient, runtime: Runtime) -> None:
    _propose(client, runtime)
    client.post("/api/public/policies/retention/versions/3/comments", json={"comment": "Yes."})
    assert client.get("/policies/proposals", follow_redirects=False).status_code == 401
    sign_in(client, runtime, ("officer",))
    assert client.get("/policies/proposals").status_code == 403
    sign_out(client)
    signed = sign_in(client, runtime, ("records-custodian",))
    page = client.get("/policies/proposals")
    assert page.status_code == 200 and "Yes." in page.text
    assert f'value="{signed.csrf_token}"' in page.text
    with runtime.db.session(read_only=True) as session:
        (comment,) = service.comments(session, service.get_version(session, "retention", "3").id)
    moderated = client.post(
        f"/policies/comments/{comment.id}/moderate",
        data={"status": "approved", "response": "Noted."},
        follow_redirects=False,
    )
    assert moderated.status_code == 303
    decided = client.post(
        "/policies/retention/proposals/3/decision",
        data={"decision": "withdraw", "reason": "Not now."},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    sign_out(client)
    public = client.get("/api/public/policies/retention").json()["proposals"][0]
    assert public["version"]["status"] == "withdrawn"
    assert [(c["body"], c["response"]) for c in public["comments"]] == [("Yes.", "Noted.")]


def test_the_public_policies_page_shows_the_fees(client: TestClient) -> None:
    index = client.get("/public/policies")
    assert index.status_code == 200 and "Fees for records requests" in index.text
    page = client.get("/public/policies/fees")
    assert page.status_code == 200
    assert "Search, per hour (US cents)" in page.text and "search_cents_per_hour" not in page.text
    listed = client.get("/api/public/policies").json()
    current = next(p for p in listed if p["name"] == "fees")["current"]
    assert current["sha256"] == load_fees(FEES_FILE).sha256
    assert client.get(current["raw_url"]).text == FEES_FILE.read_text()
    spanish = client.get("/public/policies/fees?lang=es")
    assert "Tarifas de las solicitudes de registros" in spanish.text
