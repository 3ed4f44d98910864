"""The public answers' cache (``sunlight.web.public_cache``): a page any visitor would be
given alike is made once and served again, and never once it may have changed: a write in
this process is seen by the very next request, another process's within the poll, a page
older than its time to live is made again, and staff, other languages, other hosts and a
requester's own page are never served someone else's answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from sunlight.access import audit as access_audit
from sunlight.access import sessions
from sunlight.access.audit import AuthAction
from sunlight.access.models import AuthSession, User
from sunlight.db.engine import write_generation
from sunlight.evidence import custody
from sunlight.evidence.service import flag_recording
from sunlight.ledger import checkpoints
from sunlight.policies import service as policy_service
from sunlight.policies.registry import in_force
from sunlight.release.models import Release
from sunlight.requests import common as request_common
from sunlight.requests.common import add_event
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from sunlight.web.public_cache import PublicCache
from tests.policies.test_policies import EFFECTIVE, retention_v3
from tests.portal.support import Released, decide
from tests.portal.test_areas import CENTRAL, _release
from tests.requests.support import file
from tests.support.auth import make_session, sign_in, sign_out, use_session
from tests.support.captions_data import approve_captions
from tests.support.cli import run_python
from tests.support.evidence_data import add_recording

T = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        test_client.app.state.clock = lambda: T  # type: ignore[attr-defined]
        yield test_client


def _cache(client: TestClient) -> PublicCache:
    cache = client.app.state.public_cache  # type: ignore[attr-defined]
    assert isinstance(cache, PublicCache)
    return cache


def test_a_public_page_is_made_once_and_served_again(client: TestClient) -> None:
    cache = _cache(client)
    first = client.get("/public/releases")
    generation = write_generation()
    second = client.get("/public/releases")
    assert first.status_code == second.status_code == 200
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)
    assert second.content == first.content
    # the kept answer carries the same headers: the security ones included
    for name in ("content-security-policy", "x-frame-options", "content-language", "vary"):
        assert second.headers[name] == first.headers[name]
    assert write_generation() == generation  # reading a page writes nothing


def test_a_write_in_this_process_is_seen_by_the_next_request(
    runtime: Runtime, client: TestClient
) -> None:
    done = decide(runtime, client, cad="PCACHE-1")
    link = f"/public/releases/{done.release_id}"
    assert link in client.get("/public/releases").text
    assert link in client.get("/public/releases").text  # kept
    assert _cache(client).stats.hits >= 1
    with runtime.db.session() as session:  # not even a custody event: a bare table write
        session.execute(update(Release).where(Release.id == done.release_id).values(public=False))
    assert link not in client.get("/public/releases").text
    assert client.get(link).status_code == 404


def test_another_process_s_change_is_seen_within_the_poll(
    runtime: Runtime, client: TestClient
) -> None:
    done = _release(runtime, client, "KC26-PC-001", CENTRAL)
    cache = _cache(client)
    cache.poll_s = 0.2
    assert CENTRAL in client.get("/public/releases").text
    hits = cache.stats.hits
    assert CENTRAL in client.get("/public/releases").text
    assert cache.stats.hits == hits + 1
    # A flag recorded by another process (a custody event): this process saw no write.
    generation = write_generation()
    run_python(
        runtime,
        "from sunlight.runtime import start\n"
        "from sunlight.evidence.service import flag_recording\n"
        "rt = start(migrate=False)\n"
        "with rt.db.session() as s:\n"
        f"    flag_recording(s, {done.original_id}, kind='nonpublic-location',"
        " reason='inside a dwelling', actor='cli:clerk')\n",
    )
    assert write_generation() == generation
    cache._mark.read_at -= 1.0  # as if the poll's 0.2 s had passed
    page = client.get("/public/releases").text
    assert CENTRAL not in page


def test_an_answer_older_than_the_ttl_is_made_again(client: TestClient) -> None:
    cache = _cache(client)
    now = [T]
    client.app.state.clock = lambda: now[0]  # type: ignore[attr-defined]
    client.get("/public")
    now[0] = T + cache.ttl - timedelta(milliseconds=1)
    client.get("/public")
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)
    now[0] = T + cache.ttl
    client.get("/public")
    now[0] = T - timedelta(days=1)  # a clock set back: not trusted either
    client.get("/public")
    assert (cache.stats.misses, cache.stats.hits) == (3, 1)


def test_each_language_is_kept_apart(client: TestClient) -> None:
    cache = _cache(client)
    spanish = client.get("/public", headers={"Accept-Language": "es"})
    english = client.get("/public", headers={"Accept-Language": "en-US"})
    assert spanish.headers["content-language"] == "es"
    assert english.headers["content-language"] == "en"
    asked = client.get("/public?lang=es", headers={"Accept-Language": "en"})
    assert asked.headers["content-language"] == "es"
    assert "sunlight_lang=es" in asked.headers["set-cookie"]
    again = client.get("/public?lang=es", headers={"Accept-Language": "en"})
    assert again.headers["content-language"] == "es"
    assert "sunlight_lang=es" in again.headers["set-cookie"]  # the kept answer sets it too
    client.cookies.set("sunlight_lang", "es")
    by_cookie = client.get("/public", headers={"Accept-Language": "en"})
    assert by_cookie.headers["content-language"] == "es"
    client.cookies.clear()
    assert cache.stats.misses == 3  # es, en, ?lang=es
    assert cache.stats.hits == 2


def test_staff_and_tokens_are_never_served_from_the_cache(
    runtime: Runtime, client: TestClient
) -> None:
    cache = _cache(client)
    client.get("/public/releases")
    client.get("/public/releases")
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)
    sign_in(client, runtime, roles=("records-custodian",))
    client.get("/public/releases")
    client.get("/public/releases", headers={"Authorization": "Bearer nonsense"})
    sign_out(client)
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)  # neither looked nor kept


@pytest.mark.parametrize(
    "header",
    [
        "sunlight_session={raw}; junk",  # http.cookies drops this whole header
        "junk; sunlight_session={raw}",
        "a b=c; sunlight_session={raw}",
        'sunlight_session={raw}; x="unclosed',
        "__Host-sunlight_session={raw}; junk",
    ],
)
def test_a_session_in_an_odd_cookie_header_is_never_kept(
    runtime: Runtime, client: TestClient, header: str
) -> None:
    """The app honours a session in a cookie header with odd parts in it; so must the cache,
    or a signed-in page (with its CSRF token) would be kept and served to every visitor."""
    with runtime.db.session() as session:
        policy_service.record_in_force(session, in_force(), actor="system:serve", now=T)
    proposer = make_session(runtime, roles=("records-custodian",), now=T)
    use_session(client, proposer)
    proposed = client.post(
        "/api/policies/retention/proposals",
        json={"content": retention_v3(), "effective": EFFECTIVE, "summary": "Keep 1 year."},
    )
    assert proposed.status_code == 201, proposed.text  # comments open: the page has a form
    sign_out(client)
    cache = _cache(client)
    cache.stats.misses = cache.stats.hits = cache.stats.stored = 0
    signed = make_session(runtime, roles=("records-custodian",), now=T)
    raw_header = header.format(raw=signed.raw_token)
    staff = client.get("/public/policies/retention", headers={"Cookie": raw_header})
    assert staff.status_code == 200
    assert (cache.stats.misses, cache.stats.hits, cache.stats.stored) == (0, 0, 0)
    visitor = client.get("/public/policies/retention")
    assert visitor.status_code == 200
    assert 'name="csrf_token"' in staff.text and 'name="csrf_token"' in visitor.text
    if not header.startswith("__Host-"):  # (that name is honoured only over HTTPS)
        assert signed.csrf_token in staff.text  # the app read the session from the odd header
    assert signed.csrf_token not in visitor.text


def test_private_and_uncacheable_paths_pass_through(client: TestClient) -> None:
    cache = _cache(client)
    for _ in range(2):
        client.get("/public/requests/new")
        client.get("/public/requests/track/not-a-token")
        client.get("/public/releases/999999")  # 404: never kept
        client.head("/public")
        client.get("/static/public.css")
        client.get("/log")
    assert cache.stats.hits == 0
    assert cache.stats.stored == 0


def test_another_host_is_never_served_a_kept_page(client: TestClient) -> None:
    cache = _cache(client)
    assert client.get("/public").status_code == 200
    refused = client.get("/public", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert cache.stats.hits == 0


def test_many_visitors_of_a_cold_page_make_it_once(runtime: Runtime) -> None:
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: T
    cache: PublicCache = app.state.public_cache

    async def visit() -> list[bytes]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            answers = await asyncio.gather(*(c.get("/public/stats") for _ in range(12)))
        assert {a.status_code for a in answers} == {200}
        return [a.content for a in answers]

    # in a thread of its own: another test in this worker may have left an event loop
    # running in this thread (asyncio.run refuses to start inside one)
    with ThreadPoolExecutor(1) as pool:
        bodies = pool.submit(asyncio.run, visit()).result()
    assert len(set(bodies)) == 1
    assert cache.stats.misses == 1
    assert cache.stats.hits == 11  # the others were served what the first one made
    assert cache.stats.waited >= 1  # at least one of them waited for it


@pytest.mark.parametrize(
    ("first", "then"),
    [
        # two Accept-Language headers: the app reads the first, the cache read the last
        ([("accept-language", "es"), ("accept-language", "en")], [("accept-language", "en")]),
        ([("accept-language", "en"), ("accept-language", "es")], [("accept-language", "es")]),
    ],
)
def test_a_page_is_never_kept_under_another_language_than_it_is_in(
    client: TestClient, first: list[tuple[str, str]], then: list[tuple[str, str]]
) -> None:
    """The cache keys a page by the reader's language, read exactly as the app reads it: one
    visitor sending two headers could otherwise leave every other visitor the page in a
    language they did not ask for."""
    poisoned = client.get("/public", headers=first)
    visitor = client.get("/public", headers=then)
    assert visitor.headers["content-language"] == then[0][1]
    assert poisoned.headers["content-language"] == first[0][1]


def test_a_blank_lang_after_a_lang_is_read_as_the_app_reads_it(client: TestClient) -> None:
    english = client.get("/public?lang=es&lang=", headers={"Accept-Language": "en"})
    spanish = client.get("/public?lang=es&lang=", headers={"Accept-Language": "es"})
    assert english.headers["content-language"] == "en"
    assert spanish.headers["content-language"] == "es"


def test_a_requester_s_own_json_is_never_kept(runtime: Runtime, client: TestClient) -> None:
    """The private link's JSON (``/api/public/requests/track/TOKEN``: the requester's name,
    email and messages) is as private as its page: never kept in the shared cache."""
    _, raw = file(runtime, now=T)
    cache = _cache(client)
    for _ in range(2):
        mine = client.get(f"/api/public/requests/track/{raw}")
        assert mine.status_code == 200 and "Jordan Example" in mine.text
    assert (cache.stats.hits, cache.stats.stored) == (0, 0)


# -- what a kept answer survives, and what it never does ------------------------------------
# Each write is checked on both rules: this process's write generation (``db.engine``) and
# the database's change mark (what another process's write moves), and on the page itself.


def _mark(runtime: Runtime, cache: PublicCache) -> object:
    """The change mark as the cache reads it next (the poll forced)."""
    cache._mark.read_at = float("-inf")
    cache._poll()
    return cache._mark.value


def _access(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        custody.record(
            session,
            actor="user:1",
            action=custody.Action.VIEW,
            object_type="recording",
            object_id=1,
        )


def _upload(runtime: Runtime) -> None:
    add_recording(runtime, recorded_at=T - timedelta(hours=2))  # its bytes, row, ingest event


def _sign_in(runtime: Runtime) -> None:
    with runtime.db.session() as session:  # a new session of an account, as sessions.complete
        user = session.scalars(select(User).order_by(User.id).limit(1)).one()
        session.add(
            AuthSession(
                token_sha256=sessions.digest("another-raw-token"),
                user_id=user.id,
                csrf_token="csrf",
                created_at=T,
                last_seen_at=T,
                mfa_at=T,
                mfa_method="totp",
                reauth_at=T,
                pending={},
            )
        )
        access_audit.record(
            session, actor=f"user:{user.id}", action=AuthAction.SIGN_IN, object_id=user.id, at=T
        )


@pytest.mark.parametrize("write", [_access, _upload, _sign_in], ids=["access", "upload", "sign-in"])
def test_a_kept_page_survives_a_write_the_public_cannot_see(
    runtime: Runtime, client: TestClient, write: Callable[[Runtime], None]
) -> None:
    """The working day's writes (an access, a camera's upload, a sign-in) leave the kept
    pages kept: neither rule moves. (Before the rules were narrowed, every one of them
    emptied the cache.)"""
    decide(runtime, client, cad="PCACHE-SURVIVE")
    cache = _cache(client)
    first = client.get("/public/releases")
    generation, mark = write_generation(), _mark(runtime, cache)
    write(runtime)
    assert write_generation() == generation
    assert _mark(runtime, cache) == mark
    hits = cache.stats.hits
    again = client.get("/public/releases")
    assert cache.stats.hits == hits + 1
    assert again.content == first.content


def _flag(runtime: Runtime, done: Released) -> None:
    with runtime.db.session() as session:
        flag_recording(
            session, done.original_id, kind="nonpublic-location", reason="a dwelling", actor="u"
        )


def _publish(runtime: Runtime, done: Released, client: TestClient) -> None:
    decide(runtime, client, cad="PCACHE-PUBLISH-2", seal=False)


def _request_event(runtime: Runtime, done: Released) -> None:
    request_id, _ = file(runtime, now=T)
    with runtime.db.session() as session:
        add_event(
            session,
            request_common.get(session, request_id),
            kind="note",
            actor="user:1",
            now=T,
            public_text="We are searching for the footage.",
        )


def _captions(runtime: Runtime, done: Released) -> None:
    approve_captions(runtime, done.derived_id, "es")  # the released copy's Spanish captions


def _checkpoint(runtime: Runtime, done: Released) -> None:
    _access(runtime)  # a new leaf to sign
    checkpoints.seal_and_checkpoint(runtime)


@pytest.mark.parametrize(
    "write",
    [_flag, _publish, _request_event, _captions, _checkpoint],
    ids=["nonpublic-flag", "publish", "request-timeline", "captions", "checkpoint"],
)
def test_a_public_write_is_seen_by_both_rules(
    runtime: Runtime, client: TestClient, write: Callable[..., None]
) -> None:
    """A write the public can see moves this process's generation (the next request here)
    and the database's mark (another process's next poll); the kept page is made again."""
    done = decide(runtime, client, cad="PCACHE-PUBLIC")
    cache = _cache(client)
    link = f"/public/releases/{done.release_id}"
    page = "/public/requests" if write is _request_event else "/public/releases"
    client.get(page)
    before = client.get(link)
    generation, mark = write_generation(), _mark(runtime, cache)
    misses = cache.stats.misses
    if write is _publish:
        write(runtime, done, client)
    else:
        write(runtime, done)
    assert write_generation() != generation
    assert _mark(runtime, cache) != mark
    client.get(page)
    detail = client.get(link)
    assert cache.stats.misses == misses + 2
    if write is _flag:  # the page itself changed (made again, not served)
        assert detail.content != before.content


def test_a_published_comment_is_seen_by_both_rules(runtime: Runtime, client: TestClient) -> None:
    with runtime.db.session() as session:
        policy_service.record_in_force(session, in_force(), actor="system:serve", now=T)
    sign_in(client, runtime, roles=("records-custodian",), now=T)
    proposed = client.post(
        "/api/policies/retention/proposals",
        json={"content": retention_v3(), "effective": EFFECTIVE, "summary": "Keep 1 year."},
    )
    assert proposed.status_code == 201, proposed.text
    sign_out(client)
    with runtime.db.session() as session:
        version = policy_service.open_proposal(session, "retention")
        assert version is not None
        comment = policy_service.add_comment(
            session, version, name="A. Neighbour", body="Keep it longer, please.", now=T
        )
        comment_id = comment.id
    cache = _cache(client)
    page = "/public/policies/retention"
    assert "Keep it longer" not in client.get(page).text  # pending: not shown
    generation, mark = write_generation(), _mark(runtime, cache)
    with runtime.db.session() as session:
        policy_service.moderate(
            session, comment_id, status="approved", response=None, actor="user:1", now=T
        )
    assert write_generation() != generation
    assert _mark(runtime, cache) != mark
    assert "Keep it longer" in client.get(page).text
