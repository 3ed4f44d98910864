"""CSV of audit rows: RFC 4180 (CRLF, quotes doubled), stable columns, and no formula
injection: a cell a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) is prefixed with an apostrophe (OWASP's CSV injection advice)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from sunlight.audit.views import AuditRow

COLUMNS: tuple[str, ...] = (
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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


def row_values(row: AuditRow) -> tuple[object, ...]:
    return (
        row.id,
        row.occurred_at.isoformat(),
        row.actor,
        row.action,
        row.object_type,
        row.object_id,
        row.outcome,
        row.reason,
        row.rule,
        row.permission,
    )


def csv_lines(rows: Iterable[AuditRow]) -> Iterator[str]:
    yield _line(COLUMNS)
    for row in rows:
        yield _line(row_values(row))
