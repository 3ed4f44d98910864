"""CSV imports of CAD calls and use-of-force (Response to Resistance) reports.

Both are all-or-nothing: every row is checked first and any bad row is reported with its
row and line number, the column and what is wrong, and nothing of the file is imported.
Rows whose CAD or report number is already in Sunlight are skipped (re-importing an export
is harmless). The formats are documented in docs/compliance.md.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.db.engine import Database
from sunlight.errors import InvalidInput
from sunlight.evidence.models import Officer
from sunlight.incidents import service as incidents
from sunlight.incidents.models import Incident, UseOfForceReport
from sunlight.validation import column_length, parse_datetime, text_problem

ImportKind = Literal["cad", "use-of-force"]

CAD_COLUMNS = (
    "cad_number",
    "type",
    "started_at",
    "ended_at",
    "location",
    "unit",
    "officers",
    "narrative",
)
CAD_REQUIRED = ("cad_number", "type", "started_at", "ended_at")
UOF_COLUMNS = (
    "report_number",
    "cad_number",
    "occurred_at",
    "force_type",
    "officers",
    "location",
    "narrative",
)
UOF_REQUIRED = ("report_number", "cad_number", "occurred_at", "force_type", "officers")
# A use-of-force report makes its incident a use-of-force incident, unless it is graver.
GRAVER = {"officer-involved-shooting", "homicide"}
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = first data row
    line: int  # line in the file (the header is line 1)
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row} (line {self.line})" if self.row else f"line {self.line}"
        return (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    imported: bool = False
    errors: list[RowError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["errors"] = [{**asdict(e), "text": str(e)} for e in self.errors]
        return doc


def _timestamp(value: str) -> datetime:
    """An ISO 8601 time with an offset, in the range every back end stores (as UTC)."""
    try:
        parsed = parse_datetime(value, "value")
    except InvalidInput as exc:
        raise ValueError(exc.message.removeprefix("value: ")) from exc
    return parsed.astimezone(UTC)


# Columns stored in a length-limited database column: checked per row, before any import.
_LENGTHS = {
    "cad_number": column_length(Incident.cad_number),
    "report_number": column_length(UseOfForceReport.report_number),
    "force_type": column_length(UseOfForceReport.force_type),
    "location": column_length(Incident.location),
    "unit": column_length(Incident.unit),
    "type": column_length(Incident.type),
}


def _check_cells(number: int, line: int, row: dict[str, str], result: ImportResult) -> None:
    for column, value in row.items():
        problem = text_problem(value)
        limit = _LENGTHS.get(column)
        if problem:
            result.errors.append(RowError(number, line, column, problem))
        elif limit is not None and len(value) > limit:
            result.errors.append(
                RowError(number, line, column, f"longer than {limit} characters ({len(value)})")
            )


def _badges(value: str) -> list[str]:
    return [b for b in value.replace(",", ";").replace(" ", ";").split(";") if b]


def _read(
    data: bytes, columns: tuple[str, ...], required: tuple[str, ...], result: ImportResult
) -> list[tuple[int, int, dict[str, str]]]:
    if len(data) > MAX_BYTES:
        result.errors.append(RowError(0, 1, "", f"file is over {MAX_BYTES} bytes"))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        result.errors.append(RowError(0, 1, "", f"not UTF-8 text: {exc}"))
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h not in columns]
    if not header:
        result.errors.append(RowError(0, 1, "", "the file is empty (a header line is required)"))
        return []
    if missing:
        result.errors.append(RowError(0, 1, "", f"missing columns: {', '.join(missing)}"))
    if unknown:
        result.errors.append(
            RowError(
                0, 1, "", f"unknown columns: {', '.join(unknown)}; allowed: {', '.join(columns)}"
            )
        )
    if result.errors:
        return []
    rows = []
    try:
        for number, raw in enumerate(reader, start=1):
            line = reader.line_num
            if None in raw:
                result.errors.append(RowError(number, line, "", "more fields than columns"))
                continue
            row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            _check_cells(number, line, row, result)
            for column in required:
                if not row.get(column):
                    result.errors.append(RowError(number, line, column, "is required"))
            rows.append((number, line, row))
    except csv.Error as exc:
        result.errors.append(RowError(0, reader.line_num, "", f"malformed CSV: {exc}"))
    result.rows = len(rows)
    return rows


def _officers(
    session: Session, value: str, number: int, line: int, result: ImportResult
) -> list[str]:
    badges = _badges(value)
    for badge in badges:
        if session.scalar(select(Officer.id).where(Officer.badge_number == badge)) is None:
            result.errors.append(
                RowError(number, line, "officers", f"no officer with badge number {badge}")
            )
    return badges


def _time(
    row: dict[str, str], column: str, number: int, line: int, result: ImportResult
) -> datetime | None:
    if not row.get(column):
        return None
    try:
        return _timestamp(row[column])
    except ValueError as exc:
        result.errors.append(RowError(number, line, column, str(exc)))
        return None


def import_cad(session: Session, data: bytes, *, actor: str) -> ImportResult:
    """CAD calls become incidents. Commits nothing itself: the caller's transaction does,
    and only when ``result.imported`` (the caller rolls back otherwise)."""
    result = ImportResult(kind="cad")
    rows = _read(data, CAD_COLUMNS, CAD_REQUIRED, result)
    seen: dict[str, int] = {}
    planned = []
    for number, line, row in rows:
        cad = row.get("cad_number", "")
        if cad in seen:
            result.errors.append(
                RowError(number, line, "cad_number", f"{cad} repeats row {seen[cad]}")
            )
        elif cad:
            seen[cad] = number
        kind = row.get("type", "")
        if kind and kind not in incidents.INCIDENT_TYPES:
            result.errors.append(
                RowError(
                    number,
                    line,
                    "type",
                    f"{kind!r} is not one of {', '.join(incidents.INCIDENT_TYPES)}",
                )
            )
        start = _time(row, "started_at", number, line, result)
        end = _time(row, "ended_at", number, line, result)
        if start and end and end < start:
            result.errors.append(RowError(number, line, "ended_at", "is before started_at"))
        badges = _officers(session, row.get("officers", ""), number, line, result)
        planned.append((row, start, end, badges))
    if result.errors:
        result.errors.sort(key=lambda e: e.row)  # stable: per row, in the order checked
        return result
    for row, start, end, badges in planned:
        assert start is not None
        assert end is not None
        if session.scalar(select(Incident.id).where(Incident.cad_number == row["cad_number"])):
            result.skipped += 1
            continue
        incidents.create_incident(
            session,
            cad_number=row["cad_number"],
            type=row["type"],
            started_at=start,
            ended_at=end,
            location=row.get("location"),
            unit=row.get("unit"),
            narrative=row.get("narrative"),
            officer_badges=badges,
            source="cad",
            actor=actor,
        )
        result.created += 1
    result.imported = True
    return result


def import_use_of_force(session: Session, data: bytes, *, actor: str) -> ImportResult:
    result = ImportResult(kind="use-of-force")
    rows = _read(data, UOF_COLUMNS, UOF_REQUIRED, result)
    seen: dict[str, int] = {}
    planned = []
    for number, line, row in rows:
        report = row.get("report_number", "")
        if report in seen:
            result.errors.append(
                RowError(number, line, "report_number", f"{report} repeats row {seen[report]}")
            )
        elif report:
            seen[report] = number
        when = _time(row, "occurred_at", number, line, result)
        badges = _officers(session, row.get("officers", ""), number, line, result)
        planned.append((row, when, badges))
    if result.errors:
        result.errors.sort(key=lambda e: e.row)  # stable: per row, in the order checked
        return result
    for row, when, badges in planned:
        assert when is not None
        if session.scalar(
            select(UseOfForceReport.id).where(
                UseOfForceReport.report_number == row["report_number"]
            )
        ):
            result.skipped += 1
            continue
        incident = session.scalar(select(Incident).where(Incident.cad_number == row["cad_number"]))
        if incident is None:
            incident = incidents.create_incident(
                session,
                cad_number=row["cad_number"],
                type="use-of-force",
                started_at=when,
                ended_at=when,
                location=row.get("location"),
                narrative=row.get("narrative"),
                officer_badges=badges,
                source="uof",
                actor=actor,
            )
            result.created += 1
        else:
            if incident.type not in GRAVER:
                incidents.change_type(session, incident, "use-of-force", actor=actor)
            incidents.add_officers(session, incident, badges, actor=actor)
            result.updated += 1
        session.add(
            UseOfForceReport(
                report_number=row["report_number"],
                incident_id=incident.id,
                occurred_at=when,
                force_type=row["force_type"],
                summary=row.get("narrative") or None,
            )
        )
        session.flush()
    result.imported = True
    return result


def import_file(session: Session, kind: ImportKind, data: bytes, *, actor: str) -> ImportResult:
    if kind == "cad":
        return import_cad(session, data, actor=actor)
    if kind == "use-of-force":
        return import_use_of_force(session, data, actor=actor)
    raise ValueError(f"unknown import kind {kind!r}")


def import_path(session: Session, kind: ImportKind, path: Path, *, actor: str) -> ImportResult:
    return import_file(session, kind, path.read_bytes(), actor=actor)


class _Rollback(Exception):
    pass


def import_all_or_nothing(db: Database, kind: str, data: bytes, *, actor: str) -> ImportResult:
    """Import in one transaction that is rolled back unless every row was good."""
    if kind not in ("cad", "use-of-force"):
        raise ValueError(f"unknown import kind {kind!r}: cad or use-of-force")
    outcome: ImportResult | None = None
    try:
        with db.session() as session:
            outcome = import_file(session, kind, data, actor=actor)  # type: ignore[arg-type]
            if not outcome.imported:
                raise _Rollback
    except _Rollback:
        pass
    assert outcome is not None
    return outcome
