"""Checks for input at the edge: ids, dates, text, numbers and JSON that every back end stores.

One place for the limits that both databases and Python share, used by the web schemas,
tus upload metadata, CSV imports, ingest sidecars and CLI options, so that bad input is
refused with a clear message before it reaches a database (where it would be a 500 on one
back end and quietly different on the other):

- ids: 1 .. 2**63-1, the range of a signed 64-bit integer (SQLite's INTEGER, PostgreSQL's
  BIGINT; SQLite's driver raises OverflowError beyond it), or 1 .. 2**31-1 for the tables
  keyed by PostgreSQL's 32-bit INTEGER.
- date-times: years 1900 .. 9000 once converted to UTC, so that offset arithmetic never
  leaves Python's ``datetime`` range (year 9999 plus an offset overflows) and both databases
  store the value.
- text: no NUL characters (PostgreSQL refuses them), no unpaired surrogates (not UTF-8), and
  no longer than the column it is stored in (PostgreSQL refuses that; SQLite silently keeps
  it), taken from the SQLAlchemy column itself.
- numbers: finite (no NaN or Infinity, which JSON does not have and Python's parser accepts).
- JSON documents: nested at most ``MAX_JSON_DEPTH`` deep (deeper ones exhaust the parser's
  recursion and every recursive walk after it).

Every check raises ``sunlight.errors.InvalidInput`` (a ValueError, so that pydantic turns it
into a 422 with the field's location) with the field named in the message.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

import annotated_types
from pydantic import AfterValidator
from sqlalchemy.orm import InstrumentedAttribute

from sunlight.errors import InvalidInput

MAX_ID = 2**63 - 1
MAX_SMALL_ID = 2**31 - 1
MIN_YEAR = 1900
MAX_YEAR = 9000
MAX_JSON_DEPTH = 64

#: A database id: a positive signed 64-bit integer (path, query and body alike), for the
#: tables keyed by a BIGINT on PostgreSQL (recordings, custody events, redaction plans/jobs).
Id = Annotated[int, annotated_types.Interval(ge=1, le=MAX_ID)]
#: The id of a table keyed by a 32-bit INTEGER on PostgreSQL (officers, devices, incidents,
#: agencies, holds, ...): PostgreSQL refuses a larger value outright ("integer out of range").
SmallId = Annotated[int, annotated_types.Interval(ge=1, le=MAX_SMALL_ID)]
#: A count or position that is stored or compared in the database (0 allowed).
Count = Annotated[int, annotated_types.Interval(ge=0, le=MAX_ID)]


# -- dates ------------------------------------------------------------------------------


def check_datetime(value: datetime, field: str = "date-time") -> datetime:
    """``value`` if it converts to UTC within years MIN_YEAR..MAX_YEAR, else InvalidInput."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo is not None else value
    except (OverflowError, ValueError) as exc:
        raise InvalidInput(f"{field}: {value.isoformat()} is out of range") from exc
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise InvalidInput(
            f"{field}: {value.isoformat()} is out of range (years {MIN_YEAR} to {MAX_YEAR})"
        )
    return value


def check_date(value: date, field: str = "date") -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput(
            f"{field}: {value.isoformat()} is out of range (years {MIN_YEAR} to {MAX_YEAR})"
        )
    return value


def parse_datetime(text: str, field: str = "date-time", *, require_offset: bool = True) -> datetime:
    """An ISO 8601 date-time from text (``Z`` allowed), checked like ``check_datetime``."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{field}: not an ISO 8601 date-time: {text!r}") from exc
    if require_offset and parsed.tzinfo is None:
        raise InvalidInput(f"{field}: needs a timezone offset, e.g. {text.strip()}-05:00")
    return check_datetime(parsed, field)


def parse_date(text: str, field: str = "date") -> date:
    """A YYYY-MM-DD day from text, checked like ``check_date``."""
    try:
        parsed = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"{field}: expected YYYY-MM-DD, got {text!r}") from exc
    return check_date(parsed, field)


def _pydantic_datetime(value: datetime) -> datetime:
    return check_datetime(value, "date-time")


def _pydantic_date(value: date) -> date:
    return check_date(value, "date")


#: A date-time that both databases and Python's arithmetic hold (request models, queries).
Timestamp = Annotated[datetime, AfterValidator(_pydantic_datetime)]
#: A day in the same range.
Day = Annotated[date, AfterValidator(_pydantic_date)]


# -- text -------------------------------------------------------------------------------


def column_length(column: InstrumentedAttribute[Any]) -> int:
    """The declared length of a String(n) column (the limit PostgreSQL enforces)."""
    length = getattr(column.property.columns[0].type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{column} has no declared length")
    return length


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (an unpaired surrogate)"
    return None


def check_text(
    value: str,
    field: str,
    *,
    max_length: int | None = None,
    column: InstrumentedAttribute[Any] | None = None,
) -> str:
    """``value`` if it is storable text no longer than ``max_length`` or ``column``'s length."""
    problem = text_problem(value)
    if problem:
        raise InvalidInput(f"{field} {problem}", diagnostics={"field": field})
    limit = column_length(column) if column is not None else max_length
    if limit is not None and len(value) > limit:
        raise InvalidInput(
            f"{field} is {len(value)} characters long; at most {limit} are allowed",
            diagnostics={"field": field, "length": len(value), "max_length": limit},
        )
    return value


def check_finite(value: float, field: str = "number") -> float:
    if not math.isfinite(value):
        raise InvalidInput(f"{field} must be a finite number, not {value}")
    return value


# -- JSON -------------------------------------------------------------------------------

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text nests arrays/objects deeper than ``limit`` (strings skipped)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        mark = match.group()
        if mark in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif mark in ("]", "}"):
            depth -= 1
    return False


def _no_constant(name: str) -> Any:
    raise InvalidInput(f"JSON has {name}; numbers must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidInput(f"JSON number {text[:40]} is out of range")
    return value


def check_json_strings(document: Any) -> None:
    """Every key and string value of a parsed document is storable text (no NUL, UTF-8)."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                raise InvalidInput(f"a JSON string {problem}")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads_json(data: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON strictly: bounded depth, finite numbers, storable strings."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"JSON is not UTF-8: {exc}") from exc
    if json_depth_exceeds(text, max_depth):
        raise InvalidInput(f"JSON nests deeper than {max_depth} levels")
    try:
        document = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except InvalidInput:
        raise
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}") from exc
    check_json_strings(document)
    return document
