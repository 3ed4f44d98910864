"""Sharing: link and agency shares, expiry and revocation, resharing limits, each use a
custody event, and a link that opens its one recording and nothing else."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access import Permission, decide, load_access_policy, visible
from sunlight.access.models import Share
from sunlight.db.base import utcnow
from sunlight.errors import Forbidden, InvalidInput
from sunlight.evidence import shares
from sunlight.evidence.custody import events_for
from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.evidence.service import flag_recording
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


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with app_client(runtime) as test_client:
        yield test_client


@pytest.fixture
def as_principal(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> AsPrincipal:
    return acting(client, monkeypatch)


def events(runtime: Runtime, recording_id: int, action: str | None = None) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        found = events_for(session, "recording", recording_id)
        for e in found:
            session.expunge(e)
    return [e for e in found if action is None or e.action == action]


def share_via_api(client: TestClient, recording_id: int, **body: Any) -> dict[str, Any]:
    payload = {
        "recipient": "J. Doe, defence counsel",
        "recipient_kind": "defence",
        "reason": "court: discovery in case 24-1",
        **body,
    }
    response = client.post(f"/api/recordings/{recording_id}/shares", json=payload)
    assert response.status_code == 201, response.text
    return dict(response.json())


def link_of(created: dict[str, Any]) -> str:
    token = created["link_token"]
    assert isinstance(token, str) and len(token) >= 40
    assert created["link_url"].endswith(f"/s/{token}")
    return token


def test_link_share_opens_its_recording_and_each_use_is_an_event(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    as_principal(custodian(runtime))
    created = share_via_api(client, rid)
    token = link_of(created)
    assert created["state"] == "active" and created["created_by"] == "user:1"
    # only the hash is kept
    with runtime.db.session(read_only=True) as session:
        row = session.get(Share, created["id"])
        assert row is not None and row.link_sha256 == hashlib.sha256(token.encode()).hexdigest()
        data_sha = session.get(Recording, rid).sha256  # type: ignore[union-attr]
    [create] = events(runtime, rid, "share.create")
    assert create.actor == "user:1" and create.reason == "court: discovery in case 24-1"
    assert create.details["share_id"] == created["id"] and create.details["link"] is True

    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    assert data_sha in page.text and f"/s/{token}/media" in page.text
    assert "/recordings" not in page.text  # no staff pages
    assert "<script" not in page.text
    assert "no-store" in page.headers["cache-control"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'id="download"' not in page.text  # no download link

    media = client.get(f"/s/{token}/media", headers={"Range": "bytes=0-9"})
    assert media.status_code == 206 and len(media.content) == 10
    again = client.get(f"/s/{token}/media", headers={"Range": "bytes=10-"})
    assert again.status_code == 206
    assert hashlib.sha256(media.content + again.content).hexdigest() == data_sha

    uses = events(runtime, rid, "share.use")
    assert [(e.actor, e.details["use"], e.outcome) for e in uses] == [
        (f"share:{created['id']}", "view", "success"),
        (f"share:{created['id']}", "stream", "success"),  # one viewing: Range requests deduped
    ]
    assert all(e.reason == "court: discovery in case 24-1" for e in uses)
    assert uses[0].details["rule"] == "share-links"
    # a second page view is a second use; a HEAD request is none
    assert client.get(f"/s/{token}").status_code == 200
    assert client.head(f"/s/{token}/media").status_code == 200
    assert len(events(runtime, rid, "share.use")) == 3


def test_download_only_when_the_share_allows_it(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    as_principal(custodian(runtime))
    view_only = link_of(share_via_api(client, rid))
    refused = client.get(f"/s/{view_only}/download")
    assert refused.status_code == 403
    denied = [e for e in events(runtime, rid, "share.use") if e.outcome == "denied"]
    assert len(denied) == 1
    assert denied[0].details["use"] == "download" and denied[0].details["rule"] == "token-scope"

    downloadable = share_via_api(client, rid, can_download=True)
    token = link_of(downloadable)
    assert 'id="download"' in client.get(f"/s/{token}").text
    got = client.get(f"/s/{token}/download")
    assert got.status_code == 200
    assert got.headers["content-disposition"].startswith("attachment")
    with runtime.db.session(read_only=True) as session:
        assert hashlib.sha256(got.content).hexdigest() == session.get(Recording, rid).sha256  # type: ignore[union-attr]
    client.get(f"/s/{token}/download")
    downloads = [
        e
        for e in events(runtime, rid, "share.use")
        if e.details["use"] == "download" and e.outcome == "success"
    ]
    assert len(downloads) == 2  # every download is recorded, never deduplicated


def test_revoked_link_answers_404_and_the_attempt_is_recorded(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    as_principal(custodian(runtime))
    created = share_via_api(client, rid)
    token = link_of(created)
    assert client.get(f"/s/{token}").status_code == 200

    revoked = client.post(f"/api/shares/{created['id']}/revoke", json={"reason": "case closed"})
    assert revoked.status_code == 200
    assert [s["state"] for s in revoked.json()] == ["revoked"]
    [event] = events(runtime, rid, "share.revoke")
    assert event.actor == "user:1" and event.reason == "case closed"

    for path in (f"/s/{token}", f"/s/{token}/media", f"/s/{token}/download"):
        assert client.get(path).status_code == 404, path
    denied = [e for e in events(runtime, rid, "share.use") if e.outcome == "denied"]
    assert {e.details["use"] for e in denied} == {"view", "stream", "download"}
    assert all(e.reason == "the link is revoked" for e in denied)
    assert all(e.actor == f"share:{created['id']}" for e in denied)
    # again: 409; an unknown link: 404 and no event
    again = client.post(f"/api/shares/{created['id']}/revoke", json={"reason": "twice"})
    assert again.status_code == 409
    before = len(events(runtime, rid))
    assert client.get("/s/" + "x" * 43).status_code == 404
    assert client.get("/s/short").status_code in (404, 422)
    assert len(events(runtime, rid)) == before


def test_expiry_with_a_frozen_clock(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    actor = custodian(runtime)
    created_at = utcnow() - timedelta(days=10)
    with runtime.db.session() as session:
        share, raw = shares.create_share(
            session,
            recording_id=rid,
            recipient="A complainant",
            recipient_kind="complainant",
            reason="complaint: C-2026-14",
            actor=actor,
            expires_days=7,
            now=created_at,
        )
        expires_at = share.expires_at
    assert raw is not None
    assert expires_at == created_at + timedelta(days=7)
    with runtime.db.session(read_only=True) as session:
        just_before = shares.resolve_link(session, raw, now=expires_at - timedelta(seconds=1))
        just_after = shares.resolve_link(session, raw, now=expires_at + timedelta(seconds=1))
        assert just_before is not None and just_before.state == "active"
        assert just_after is not None and just_after.state == "expired"
        assert shares.resolve_link(session, raw + "x") is None
    # today (the app's clock is the real one), three days past its expiry: 404, recorded
    assert client.get(f"/s/{raw}").status_code == 404
    [denied] = [e for e in events(runtime, rid, "share.use") if e.outcome == "denied"]
    assert denied.reason == "the link is expired"
    # nor does the expired share show the recording to anyone through the policy, which
    # judges the expiry at the decision's ``now`` as resolve_link does
    visitor = shares.link_principal(share)
    with runtime.db.session(read_only=True) as session:
        before = decide(
            session, visitor, Permission.RECORDING_VIEW, rid, now=expires_at - timedelta(seconds=1)
        )
        after = decide(
            session, visitor, Permission.RECORDING_VIEW, rid, now=expires_at + timedelta(seconds=1)
        )
    assert before.allowed and before.in_scope
    assert not after.allowed and not after.in_scope


def test_share_length_follows_the_policy(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    as_principal(custodian(runtime))
    rules = load_access_policy().policy.shares
    now = utcnow()
    created = share_via_api(client, rid)
    expires = created["expires_at"]
    from datetime import datetime

    days = (datetime.fromisoformat(expires) - now).total_seconds() / 86400
    assert rules.default_days - 0.01 < days < rules.default_days + 0.01
    too_long = client.post(
        f"/api/recordings/{rid}/shares",
        json={
            "recipient": "X",
            "recipient_kind": "defence",
            "reason": "court",
            "expires_days": rules.max_days + 1,
        },
    )
    assert too_long.status_code == 422
    nothing = client.post(
        f"/api/recordings/{rid}/shares",
        json={"recipient": "X", "recipient_kind": "defence", "reason": "court", "link": False},
    )
    assert nothing.status_code == 422  # neither an agency nor a link: grants nothing
    department = client.post(
        f"/api/recordings/{rid}/shares",
        json={
            "recipient": "Ourselves",
            "recipient_kind": "prosecutor",
            "reason": "court",
            "agency_id": agency_id(runtime, "KCPD"),
        },
    )
    assert department.status_code == 422


def test_agency_share_lets_the_prosecutors_office_see_it_until_revoked(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid, other = new_recording(runtime), new_recording(runtime, "Another stop")
    jcpo = agency_id(runtime, "JCPO")
    lawyer = prosecutor(runtime)
    with runtime.db.session(read_only=True) as session:
        assert not decide(session, lawyer, Permission.RECORDING_VIEW, rid, now=utcnow()).in_scope
    as_principal(custodian(runtime))
    created = share_via_api(
        client,
        rid,
        recipient="Jackson County Prosecutor",
        recipient_kind="prosecutor",
        agency_id=jcpo,
        link=False,
    )
    assert created["link_token"] is None and created["link_url"] is None
    with runtime.db.session(read_only=True) as session:
        assert decide(session, lawyer, Permission.RECORDING_VIEW, rid, now=utcnow()).allowed
        assert not decide(session, lawyer, Permission.RECORDING_VIEW, other, now=utcnow()).in_scope
        seen = set(
            session.scalars(
                select(Recording.id).where(visible(lawyer, Permission.RECORDING_LIST, now=utcnow()))
            )
        )
    assert seen == {rid}

    # the office lists its own shares, and only those
    as_principal(lawyer)
    listed = client.get("/api/shares").json()
    assert [s["id"] for s in listed["items"]] == [created["id"]]
    as_principal(prosecutor(runtime, 3, agency="OCC"))
    assert client.get("/api/shares").json()["items"] == []

    as_principal(custodian(runtime))
    client.post(f"/api/shares/{created['id']}/revoke", json={"reason": "plea entered"})
    with runtime.db.session(read_only=True) as session:
        assert not decide(session, lawyer, Permission.RECORDING_VIEW, rid, now=utcnow()).in_scope


def test_reshare_limits_and_revoking_a_parent_revokes_its_children(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    jcpo = agency_id(runtime, "JCPO")
    as_principal(custodian(runtime))
    no_reshare = share_via_api(
        client,
        rid,
        recipient="JCPO",
        recipient_kind="prosecutor",
        agency_id=jcpo,
        link=False,
        expires_days=20,
    )
    parent = share_via_api(
        client,
        rid,
        recipient="JCPO",
        recipient_kind="prosecutor",
        agency_id=jcpo,
        link=False,
        can_reshare=True,
        expires_days=20,
    )
    lawyer = as_principal(prosecutor(runtime))
    body = {
        "recipient": "R. Roe, defence",
        "recipient_kind": "defence",
        "reason": "court: discovery",
    }

    refused = client.post(f"/api/shares/{no_reshare['id']}/reshare", json=body)
    assert refused.status_code == 403 and "does not allow resharing" in refused.json()["detail"]
    longer = client.post(f"/api/shares/{parent['id']}/reshare", json={**body, "expires_days": 30})
    assert longer.status_code == 422 and "outlast" in longer.json()["detail"]
    more = client.post(f"/api/shares/{parent['id']}/reshare", json={**body, "can_download": True})
    assert more.status_code == 403
    onward = {**body, "agency_id": agency_id(runtime, "OCC"), "link": False}
    assert client.post(f"/api/shares/{parent['id']}/reshare", json=onward).status_code == 403

    # outside the department, a share of one's own is not a reshare: refused
    fresh = client.post(f"/api/recordings/{rid}/shares", json=body)
    assert fresh.status_code == 403 and "reshare" in fresh.json()["detail"]
    seen_page = client.get(f"/recordings/{rid}")
    assert seen_page.status_code == 200 and 'id="shares"' in seen_page.text
    assert f'action="/recordings/{rid}/shares"' not in seen_page.text  # no share form

    child = client.post(f"/api/shares/{parent['id']}/reshare", json=body)
    assert child.status_code == 201, child.text
    child_doc = child.json()
    assert child_doc["parent_id"] == parent["id"] and child_doc["created_by"] == lawyer.id
    assert child_doc["expires_at"] == parent["expires_at"]  # default clamped to the parent
    token = link_of(child_doc)
    assert client.get(f"/s/{token}").status_code == 200

    # another office cannot reshare JCPO's share (it cannot even see it)
    as_principal(user(runtime, 9, "prosecutor", agency="OCC", kind="prosecutor"))
    assert client.post(f"/api/shares/{parent['id']}/reshare", json=body).status_code == 404
    # a prosecutor cannot revoke
    as_principal(lawyer)
    assert (
        client.post(f"/api/shares/{parent['id']}/revoke", json={"reason": "x"}).status_code == 403
    )

    as_principal(custodian(runtime))
    revoked = client.post(f"/api/shares/{parent['id']}/revoke", json={"reason": "withdrawn"})
    assert [s["id"] for s in revoked.json()] == [parent["id"], child_doc["id"]]
    cascade = events(runtime, rid, "share.revoke")
    assert [e.details["share_id"] for e in cascade] == [parent["id"], child_doc["id"]]
    assert cascade[1].details["because_parent_revoked"] == parent["id"]
    assert client.get(f"/s/{token}").status_code == 404
    listed = client.get(f"/api/recordings/{rid}/shares").json()
    assert {s["id"]: s["state"] for s in listed} == {
        child_doc["id"]: "revoked",
        parent["id"]: "revoked",
        no_reshare["id"]: "active",
    }


def test_a_link_reaches_its_recording_and_nothing_else(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid, other = new_recording(runtime), new_recording(runtime, "Someone else's stop")
    actor = custodian(runtime)
    with runtime.db.session() as session:
        share, _ = shares.create_share(
            session,
            recording_id=rid,
            recipient="Counsel",
            recipient_kind="defence",
            reason="court",
            actor=actor,
            can_download=True,
        )
        visitor = shares.link_principal(share)
    assert visitor.id == f"share:{share.id}" and visitor.kind == "share"
    assert visitor.roles == {"share-recipient"} and visitor.auth == "share"
    assert Permission.RECORDING_DOWNLOAD in (visitor.granted or set())
    with runtime.db.session(read_only=True) as session:
        for permission in (
            Permission.RECORDING_VIEW,
            Permission.RECORDING_STREAM,
            Permission.RECORDING_DOWNLOAD,
            Permission.CUSTODY_VIEW,
        ):
            assert decide(session, visitor, permission, rid, now=utcnow()).allowed, permission
            mine = decide(session, visitor, permission, other, now=utcnow())
            assert not mine.allowed and not mine.in_scope, permission  # 404, not 403
        assert not decide(session, visitor, Permission.RECORDING_EDIT, rid, now=utcnow()).allowed
        listed = set(
            session.scalars(
                select(Recording.id).where(
                    visible(visitor, Permission.RECORDING_LIST, now=utcnow())
                )
            )
        )
    assert listed == {rid}
    # as a principal on the staff API it holds no share or audit permission
    as_principal(visitor)
    assert client.get(f"/api/recordings/{other}/shares").status_code == 403
    assert (
        client.post(
            f"/api/recordings/{other}/shares",
            json={"recipient": "x", "recipient_kind": "defence", "reason": "x"},
        ).status_code
        == 403
    )
    assert client.get(f"/api/audit/recordings/{rid}").status_code == 403


def test_staff_out_of_scope_recordings_answer_404(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    as_principal(prosecutor(runtime))
    attempt = client.post(
        f"/api/recordings/{rid}/shares",
        json={"recipient": "x", "recipient_kind": "defence", "reason": "x"},
    )
    assert attempt.status_code == 404
    assert client.get(f"/api/recordings/{rid}/shares").status_code == 404
    assert (
        client.post(
            "/api/recordings/999999/shares",
            json={"recipient": "x", "recipient_kind": "defence", "reason": "x"},
        ).status_code
        == 404
    )
    assert events(runtime, rid, "share.create") == []


def test_link_share_of_vulnerable_footage_is_refused(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    with runtime.db.session() as session:
        flag_recording(session, rid, kind="minor", reason="a child is seen", actor="user:1")
    actor = custodian(runtime)
    with runtime.db.session() as session, pytest.raises(Forbidden, match="vulnerable"):
        shares.create_share(
            session,
            recording_id=rid,
            recipient="Counsel",
            recipient_kind="defence",
            reason="court",
            actor=actor,
        )
    assert events(runtime, rid, "share.create") == []


def test_service_validates_input(runtime: Runtime) -> None:
    rid = new_recording(runtime)
    actor = custodian(runtime)
    with runtime.db.session() as session:
        for bad in (
            {"recipient": " ", "recipient_kind": "defence", "reason": "r"},
            {"recipient": "x", "recipient_kind": "journalist", "reason": "r"},
            {"recipient": "x", "recipient_kind": "defence", "reason": "  "},
            {"recipient": "x", "recipient_kind": "defence", "reason": "r", "expires_days": 0},
        ):
            with pytest.raises(InvalidInput):
                shares.create_share(session, recording_id=rid, actor=actor, **bad)


def test_recording_page_lists_shares_with_a_revoke_button(
    runtime: Runtime, client: TestClient, as_principal: AsPrincipal
) -> None:
    rid = new_recording(runtime)
    as_principal(custodian(runtime))
    created = share_via_api(client, rid)
    page = client.get(f"/recordings/{rid}")
    assert page.status_code == 200
    assert 'id="shares"' in page.text and f'id="share-{created["id"]}"' in page.text
    assert f'action="/recordings/{rid}/shares/{created["id"]}/revoke"' in page.text
    assert "J. Doe, defence counsel" in page.text
    assert f'href="/recordings/{rid}/custody-report"' in page.text
    assert f'href="/audit/recordings/{rid}"' in page.text

    made = client.post(
        f"/recordings/{rid}/shares",
        data={
            "recipient": "Form user",
            "recipient_kind": "complainant",
            "reason": "complaint: C-1",
            "link": "true",
            "expires_days": "5",
        },
    )
    assert made.status_code == 201 and 'id="share-link"' in made.text
    assert "no-store" in made.headers["cache-control"]
    revoke = client.post(
        f"/recordings/{rid}/shares/{created['id']}/revoke",
        data={"reason": "sent in error"},
        follow_redirects=False,
    )
    assert revoke.status_code == 303 and revoke.headers["location"] == f"/recordings/{rid}#shares"
    with runtime.db.session(read_only=True) as session:
        assert session.get(Share, created["id"]).revoked_by == "user:1"  # type: ignore[union-attr]


def test_end_to_end_with_real_sign_in(runtime: Runtime, client: TestClient) -> None:
    """No stand-in principal: a signed-in records custodian shares through the recording
    page's form (CSRF and all), the recipient opens the link with no account, a prosecutor
    signed in at the office sees only its shares, and anonymous callers get nothing else."""
    from tests.support.auth import sign_in, sign_out

    rid = new_recording(runtime)
    anonymous = client.post(
        f"/api/recordings/{rid}/shares",
        json={"recipient": "x", "recipient_kind": "defence", "reason": "x"},
    )
    assert anonymous.status_code == 401
    assert client.get("/api/shares").status_code == 401

    staff = sign_in(client, runtime, roles=("records-custodian",))
    page = client.get(f"/recordings/{rid}")
    assert page.status_code == 200 and 'id="shares"' in page.text
    assert 'name="csrf_token"' in page.text.split('id="shares"')[1]
    made = client.post(
        f"/recordings/{rid}/shares",
        data={
            "recipient": "R. Roe, defence counsel",
            "recipient_kind": "defence",
            "reason": "court: discovery in case 24-1",
            "link": "true",
            "can_download": "true",
        },
    )
    assert made.status_code == 201, made.text
    link = made.text.split('id="share-link" class="hash">')[1].split("<")[0]
    token = link.rsplit("/s/", 1)[1]
    [created] = events(runtime, rid, "share.create")
    assert created.actor == staff.id

    sign_out(client)
    assert client.get(f"/s/{token}").status_code == 200
    assert client.get(f"/s/{token}/download").status_code == 200
    assert {e.actor for e in events(runtime, rid, "share.use")} == {
        f"share:{created.details['share_id']}"
    }
    # the link is no key to the staff site
    assert client.get(f"/api/recordings/{rid}").status_code == 401

    sign_in(client, runtime, roles=("records-custodian",))
    revoked = client.post(
        f"/api/shares/{created.details['share_id']}/revoke", json={"reason": "case closed"}
    )
    assert revoked.status_code == 200
    sign_out(client)
    assert client.get(f"/s/{token}").status_code == 404
