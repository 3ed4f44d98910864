"""Records requests under RSMo 610.023: intake, changes of state, the clock, fees, matching
footage, verifying depicted persons and delivering copies.

The work is done by one module per job; this module only names what callers may use:

- ``common``: the published constants, looking a request up, the timeline event;
- ``intake``: filing a request, its tracking number and private link token;
- ``clocks``: the clocks (due date, overdue, due soon), computed when read;
- ``transitions``: changes of state (clarification, delay, denial citing a provision,
  fulfilment, reopening) and written grounds for a denial;
- ``billing``: the fee estimate and prepayment (rates in ``fees``);
- ``matching``: searching and linking footage;
- ``delivery``: verifying a depicted person, released copies, delivering and downloading;
- ``queue``: the staff queue, bulk extension, the public request log.

Every change appends a :class:`RequestEvent` to the request's timeline in the same
transaction; the clock is computed when read from the request's receipt (or reopening),
its pauses and the business-day calendar, never stored. Times are passed in (``now=``);
the web and CLI layers pass the real clock.
"""

from __future__ import annotations

from sunlight.requests.billing import record_prepayment, set_estimate
from sunlight.requests.clocks import RequestClock, clock_of, clocks_of, pauses_of
from sunlight.requests.common import (
    DELIVERY_DAYS,
    DEPICTED_GROUP,
    DOCUMENT_TYPES,
    GROUNDS_DAYS,
    KANSAS_CITY,
    MAX_LIST,
    MIN_EXPLANATION,
    NOTICE_TEXT,
    PUBLIC_LOG_SHOWS_REQUESTER_TYPE,
    RELATIONS,
    REQUESTER_TYPES,
    RESPONSE_DAYS,
    TOKEN_BYTES,
    ClockKind,
    Relation,
    add_event,
    by_token,
    by_tracking,
    get,
    public_category,
    resolve,
    token_hash,
)
from sunlight.requests.delivery import (
    BASES,
    Basis,
    acknowledge_notice,
    deliver,
    linked_incidents,
    open_delivery,
    released_for,
    verify,
)
from sunlight.requests.intake import file_request
from sunlight.requests.matching import Candidates, add_item, remove_item, search_footage
from sunlight.requests.queue import bulk_extend, public_log, queue
from sunlight.requests.transitions import give_grounds, request_grounds, transition

__all__ = [
    "BASES",
    "DELIVERY_DAYS",
    "DEPICTED_GROUP",
    "DOCUMENT_TYPES",
    "GROUNDS_DAYS",
    "KANSAS_CITY",
    "MAX_LIST",
    "MIN_EXPLANATION",
    "NOTICE_TEXT",
    "PUBLIC_LOG_SHOWS_REQUESTER_TYPE",
    "RELATIONS",
    "REQUESTER_TYPES",
    "RESPONSE_DAYS",
    "TOKEN_BYTES",
    "Basis",
    "Candidates",
    "ClockKind",
    "Relation",
    "RequestClock",
    "acknowledge_notice",
    "add_event",
    "add_item",
    "bulk_extend",
    "by_token",
    "by_tracking",
    "clock_of",
    "clocks_of",
    "deliver",
    "file_request",
    "get",
    "give_grounds",
    "linked_incidents",
    "open_delivery",
    "pauses_of",
    "public_category",
    "public_log",
    "queue",
    "record_prepayment",
    "released_for",
    "remove_item",
    "request_grounds",
    "resolve",
    "search_footage",
    "set_estimate",
    "token_hash",
    "transition",
    "verify",
]
