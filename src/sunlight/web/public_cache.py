"""The public portal's answers, kept and served again while they cannot have changed.

A public page or public JSON document (``/public...``, ``/api/public/...``) asked for by a
visitor with no session and no API token is the same for every such visitor who asks in
the same language, so its bytes are kept the first time (status 200 only, no cookie but the
language one, at most ``MAX_ENTRY_BYTES``) and served again, before any other middleware or
route runs, while all of these hold:

- **no write that the public can see has committed in this process** since it was made
  (``db.engine`` counts every committed transaction that wrote a table not in its
  ``QUIET_TABLES`` or recorded a custody event of a public kind, on any database: a release
  published, withdrawn or flagged nonpublic through the web, the CLI run in-process, or the
  worker is seen by the very next request; an access, an upload or a sign-in is not counted);
- **the database's change mark is the same**: the newest custody event *of a kind the
  public can see* (``custody.PUBLIC_ACTIONS``, from the one table ``custody.PORTAL_EFFECT``),
  the newest checkpoint and cosignature ids, read at most every ``poll_s`` seconds (default
  1 s) by the first request that finds the last reading older than that, which waits for
  it. Only the custody events since the previous reading are looked at (by primary key), so
  a day of accesses costs nothing. A change made by another process (a CLI command, a
  second server) is therefore served within ``poll_s``. Every change of what the portal
  shows is a custody event of a public kind, a checkpoint or a cosignature;
- **it is younger than** ``ttl`` (default 5 s) on the app's clock: pages that count days
  from today, the statistics (which count accesses and uploads: their figures are counted
  again every ``stats.service.TTL``, 60 s, so a statistics page is at most 5 s older than
  its figures), and anything the mark could miss, are made again at least that often.

A new checkpoint is a change (a release page names the checkpoint that holds its copy): the
server signs one every ledger seal interval (10 s) while custody events arrive, so on a busy
day that, not the day's writes, is what empties the cache between its TTLs.

Requests for the same missing entry wait for the one that makes it (a hundred clients on a
cold page make it once). Excluded: the media bytes (Range requests), a requester's own
tracking page and its JSON, the request form, HEAD, and any request with a session cookie
or an ``Authorization`` header (staff see pages as themselves). The counts are on ``stats``.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import anyio.to_thread
from sqlalchemy import false, func, select
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sunlight.db.base import utcnow
from sunlight.db.engine import Database, write_generation
from sunlight.evidence.custody import PUBLIC_ACTIONS
from sunlight.evidence.models import CustodyEvent
from sunlight.ledger.models import LedgerCheckpoint, LedgerCosignature
from sunlight.portal import i18n
from sunlight.web.language import language_of
from sunlight.web.security import COOKIE, SECURE_COOKIE

#: Paths whose GET answers may be kept (the public portal and its JSON) ...
_CACHED = re.compile(r"^/(public|api/public)(/|$)")
#: ... except these: media bytes (Range), a requester's own page and its JSON (the private
#: link's: their name, their words, the messages sent to them), the request form.
_NEVER = re.compile(r"/media$|^(/api)?/public/requests/(track|new)(/|$)")
#: The only cookie a kept answer may set (the reader's language: the same for every
#: visitor who asks with the same ``?lang=``, which is part of the key).
_LANGUAGE_COOKIE = i18n.COOKIE.encode() + b"="

#: Both session cookie names contain this. Any cookie header that mentions it anywhere passes
#: through: a parser stricter than the app's own (``http.cookies`` drops a whole header over one
#: odd part) would miss a session that the app honours, and keep a signed-in page for everyone.
_SESSION_MENTION = COOKIE.encode()
assert _SESSION_MENTION in SECURE_COOKIE.encode()

MAX_ENTRY_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
DEFAULT_TTL = timedelta(seconds=5)
DEFAULT_POLL_S = 1.0


def change_mark(db: Database, seen: int | None = None) -> tuple[int | None, ...]:
    """One cheap statement, read by the cache at most every ``poll_s``: the newest custody
    event id, the newest one after ``seen`` of a kind the public can see
    (``custody.PUBLIC_ACTIONS``), and the newest checkpoint and cosignature ids. Only the
    events after ``seen`` (the newest id of the previous reading) are looked at, by the
    primary key: a second's events, however many accesses and uploads came before."""
    # the first reading looks at no kind: it takes the newest event of any (``_poll``)
    after = CustodyEvent.id > seen if seen is not None else false()
    statement = select(
        select(func.max(CustodyEvent.id)).scalar_subquery(),
        select(func.max(CustodyEvent.id))
        .where(after, CustodyEvent.action.in_(sorted(PUBLIC_ACTIONS)))
        .scalar_subquery(),
        select(func.max(LedgerCheckpoint.id)).scalar_subquery(),
        select(func.max(LedgerCosignature.id)).scalar_subquery(),
    )
    with db.session(read_only=True) as session:
        row = session.execute(statement).one()
    return tuple(row)


@dataclass
class _Entry:
    version: Hashable
    made_at: datetime
    start: Message
    body: bytes


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    stored: int = 0
    #: requests that waited for another request making the same entry
    waited: int = 0
    polls: int = 0


@dataclass
class _Mark:
    value: Hashable = None
    #: the newest custody event id read, and the newest public one's (the first reading
    #: takes the newest of any kind: a mark is only compared, never looked up)
    seen: int | None = None
    public: int | None = None
    read_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


class PublicCacheMiddleware:
    """ASGI middleware (outermost), serving from ``cache``."""

    def __init__(self, app: ASGIApp, *, cache: PublicCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.cache.serve(self.app, scope, receive, send)


class PublicCache:
    """The kept answers of one app (``app.state.public_cache``): see the module's
    description."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Callable[[], datetime] | None = None,
        ttl: timedelta = DEFAULT_TTL,
        poll_s: float = DEFAULT_POLL_S,
        enabled: bool = True,
    ) -> None:
        self.db = db
        self.clock = clock
        self.ttl = ttl
        self.poll_s = poll_s
        self.enabled = enabled
        self.stats = CacheStats()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._making: dict[Hashable, asyncio.Future[bool]] = {}
        self._mark = _Mark()

    def _now(self, scope: Scope) -> datetime:
        state = getattr(scope.get("app"), "state", None)
        clock = getattr(state, "clock", None) or self.clock
        return clock() if clock is not None else utcnow()

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    async def serve(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope) if self.enabled else None
        if key is None:
            await app(scope, receive, send)
            return
        # the version as it was before the answer is made: a write that commits while it
        # is being made leaves it out of date, and the next request makes it again
        version = (write_generation(), await self._db_mark())
        now = self._now(scope)
        while True:
            entry = self._entries.get(key)
            if (
                entry is not None
                and entry.version == version
                and (timedelta(0) <= now - entry.made_at < self.ttl)
            ):
                self._entries.move_to_end(key)
                self.stats.hits += 1
                await send(entry.start)
                await send({"type": "http.response.body", "body": entry.body})
                return
            making = self._making.get(key)
            if making is None or making.get_loop() is not asyncio.get_running_loop():
                break
            self.stats.waited += 1
            if not await asyncio.shield(making):
                break  # it could not be kept: make our own
        self.stats.misses += 1
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._making[key] = done
        kept = False
        try:
            kept = await self._make(app, scope, receive, send, key, version, now)
        finally:
            if self._making.get(key) is done:
                del self._making[key]
            done.set_result(kept)

    def _key(self, scope: Scope) -> Hashable | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path: str = scope["path"]
        if not _CACHED.match(path) or _NEVER.search(path):
            return None
        host = proto = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                return None
            if name == b"cookie" and _SESSION_MENTION in value:
                return None  # a visitor who may be signed in is never served nor kept
            # the first of each, as the app reads them (``Headers.get``)
            if name == b"host" and host is None:
                host = value
            elif name == b"x-forwarded-proto" and proto is None:
                proto = value
        query: bytes = scope.get("query_string", b"")
        # The reader's language exactly as the page reads it (``web.language``): the query's
        # last ``lang`` (blank or percent-encoded too), every cookie header, the first
        # ``Accept-Language``. Read any other way, one visitor's odd request (two
        # ``Accept-Language`` headers) would keep a page under another language's key.
        language = language_of(Request(scope))
        return (host, scope.get("scheme"), proto, path, query, language)

    async def _db_mark(self) -> Hashable:
        mark = self._mark
        if time.monotonic() - mark.read_at >= self.poll_s:
            await anyio.to_thread.run_sync(self._poll)
        return mark.value

    def _poll(self) -> None:
        mark = self._mark
        with mark.lock:
            if time.monotonic() - mark.read_at < self.poll_s:
                return  # another request read it meanwhile
            started = time.monotonic()
            newest, public, checkpoint, cosignature = change_mark(self.db, mark.seen)
            if mark.seen is None:
                mark.public = newest
            elif public is not None:
                mark.public = public
            if newest is not None or mark.seen is None:
                mark.seen = newest or 0
            mark.value = (mark.public, checkpoint, cosignature)
            mark.read_at = started
            self.stats.polls += 1

    async def _make(
        self,
        app: ASGIApp,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: Hashable,
        version: Hashable,
        now: datetime,
    ) -> bool:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, size, keep
            if message["type"] == "http.response.start":
                start = message
                keep = message["status"] == 200 and all(
                    value.startswith(_LANGUAGE_COOKIE)
                    for name, value in message.get("headers", [])
                    if name.lower() == b"set-cookie"
                )
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > MAX_ENTRY_BYTES:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(body)
            await send(message)

        await app(scope, receive, capture)
        if not keep or start is None:
            return False
        self._store(key, _Entry(version, now, start, b"".join(chunks)))
        return True

    def _store(self, key: Hashable, entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        self.stats.stored += 1
        while self._bytes > MAX_TOTAL_BYTES and self._entries:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped.body)
