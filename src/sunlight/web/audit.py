"""The access record, for those who audit it (``audit:view``): who reached a recording,
when, why and under which rule; one principal's history; refused attempts; CSV exports;
and the printable chain-of-custody report of one recording with its ledger proof
(``custody:view`` on that recording: what a prosecutor hands a court).

Reading the access record is itself recorded (CJIS AU-2): an ``audit.view`` custody event.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement

from sunlight.access import Permission, Principal
from sunlight.audit import views
from sunlight.audit.csvout import csv_lines
from sunlight.audit.report import custody_report
from sunlight.errors import InvalidInput
from sunlight.evidence import service as evidence
from sunlight.evidence.custody import Action, recently_recorded, record
from sunlight.runtime import Runtime
from sunlight.validation import Id
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import Access, recording_for, require
from sunlight.web.pages import render

router = APIRouter(tags=["audit"])

AUDIT_DEDUP = timedelta(minutes=5)
NO_STORE = {"Cache-Control": "private, no-store"}
ActorId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9:._@-]+$")]


# -- response models ------------------------------------------------------------------------


class AuditEventOut(BaseModel):
    id: int
    occurred_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    reason: str | None
    rule: str | None = Field(description="The access-policy rule that decided, if recorded")
    permission: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, row: views.AuditRow) -> AuditEventOut:
        return cls(**row.__dict__)


class AuditPageOut(BaseModel):
    items: list[AuditEventOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")


class ReportProof(BaseModel):
    leaf_index: int
    leaf_hash: str
    entry: str = Field(description="The ledger entry (canonical JSON) under the leaf")
    salt: str
    private: str = Field(description="The disclosed private fields the entry commits to")
    inclusion: list[str] = Field(description="RFC 9162 inclusion proof to the checkpoint")


class ReportEvent(BaseModel):
    id: int
    occurred_at: str
    actor: str
    action: str
    outcome: str
    reason: str | None
    rule: str | None
    details: dict[str, Any]
    proof: ReportProof | None = Field(description="None: not sealed under the checkpoint yet")


class ReportLog(BaseModel):
    origin: str
    key: str
    witnesses: list[str]
    quorum: int


class ReportCosigner(BaseModel):
    witness: str
    key_id: str
    timestamp: int


class ReportCheckpoint(BaseModel):
    size: int
    root: str
    created_at: str | None
    note: str = Field(description="The signed checkpoint with its witness cosignatures")
    witnessed: bool
    cosigners: list[ReportCosigner]


class ReportRecording(BaseModel):
    id: int
    title: str | None
    original_filename: str
    sha256: str
    size_bytes: int
    recorded_at: str | None
    ingested_at: str | None
    ingest_source: str | None
    duration_s: float | None
    officer: str | None
    device: str | None
    deleted_at: str | None


class CustodyReportOut(BaseModel):
    format: str
    recording: ReportRecording
    events: list[ReportEvent]
    log: ReportLog | None
    checkpoint: ReportCheckpoint | None


# -- helpers ----------------------------------------------------------------------------------


def _note_read(
    runtime: Runtime,
    actor: Principal,
    object_type: str,
    object_id: str | int,
    what: str,
    *,
    now: datetime,
    dedup: bool = True,
) -> None:
    """Record that ``actor`` read the access record at ``now`` (one event per view within a
    few minutes; every export)."""
    with runtime.db.session() as session:
        if dedup and recently_recorded(
            session,
            actor=actor.id,
            action=Action.AUDIT_VIEW,
            object_type=object_type,
            object_id=object_id,
            within=AUDIT_DEDUP,
            now=now,
        ):
            return
        record(
            session,
            actor=actor.id,
            action=Action.AUDIT_VIEW,
            object_type=object_type,
            object_id=str(object_id)[:64],
            details={"what": what},
            at=now,
        )


def _recording_exists(runtime: Runtime, recording_id: int) -> None:
    with runtime.db.session(read_only=True) as session:
        evidence.get_recording(session, recording_id)


def _filters(
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    access_only: bool = False,
) -> views.AuditFilter:
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("times need a timezone offset (e.g. 2026-12-03T00:00:00Z)")
    return views.AuditFilter(
        actor=actor or None,
        action=action or None,
        object_type=object_type or None,
        outcome=outcome or None,
        since=since,
        until=until,
        access_only=access_only,
    )


def _csv(runtime: Runtime, where: list[ColumnElement[bool]], filename: str) -> Response:
    def body() -> Iterator[str]:
        yield from csv_lines(views.iter_rows(lambda: runtime.db.session(read_only=True), where))

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _page_out(page: views.AuditPage) -> AuditPageOut:
    return AuditPageOut(
        items=[AuditEventOut.of(r) for r in page.items], next_before=page.next_before
    )


Before = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Continue below this id")]
Limit = Annotated[int, Query(ge=1, le=views.MAX_PAGE)]
Text = Annotated[str | None, Query(max_length=100)]


# -- API ------------------------------------------------------------------------------------


@router.get("/api/audit/recordings/{recording_id}", response_model=AuditPageOut)
def recording_audit(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    all_events: Annotated[bool, Query(alias="all")] = False,
    who: Annotated[str | None, Query(alias="actor", max_length=100)] = None,
    outcome: Text = None,
    before: Before = None,
    limit: Limit = 100,
) -> AuditPageOut:
    """Who accessed a recording (views, streams, downloads, share uses and refusals; with
    ``all``, every custody event), when, why and under which rule, newest first."""
    _recording_exists(runtime, recording_id)
    filters = _filters(actor=who, outcome=outcome, access_only=not all_events)
    with runtime.db.session(read_only=True) as session:
        page = views.recording_access(session, recording_id, filters, before=before, limit=limit)
    _note_read(runtime, actor, "recording", recording_id, "access record", now=now_for(request))
    return _page_out(page)


@router.get("/api/audit/recordings/{recording_id}/csv", response_class=Response)
def recording_audit_csv(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    all_events: Annotated[bool, Query(alias="all")] = False,
) -> Response:
    """The recording's access record as CSV (RFC 4180), newest first."""
    _recording_exists(runtime, recording_id)
    where = views.recording_where(recording_id, _filters(access_only=not all_events))
    _note_read(
        runtime,
        actor,
        "recording",
        recording_id,
        "access record CSV",
        now=now_for(request),
        dedup=False,
    )
    return _csv(runtime, where, f"recording-{recording_id}-access.csv")


@router.get("/api/audit/users/{principal_id}", response_model=AuditPageOut)
def user_audit(
    principal_id: ActorId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    action: Text = None,
    outcome: Text = None,
    before: Before = None,
    limit: Limit = 100,
) -> AuditPageOut:
    """Everything one principal (``user:12``, ``token:4``, ``share:9``...) did, newest first."""
    filters = _filters(action=action, outcome=outcome)
    with runtime.db.session(read_only=True) as session:
        page = views.actor_history(session, principal_id, filters, before=before, limit=limit)
    _note_read(
        runtime, actor, "audit", f"actor:{principal_id}", "access history", now=now_for(request)
    )
    return _page_out(page)


@router.get("/api/audit/users/{principal_id}/csv", response_class=Response)
def user_audit_csv(
    principal_id: ActorId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    action: Text = None,
    outcome: Text = None,
) -> Response:
    where = views.actor_where(principal_id, _filters(action=action, outcome=outcome))
    _note_read(
        runtime,
        actor,
        "audit",
        f"actor:{principal_id}",
        "history CSV",
        now=now_for(request),
        dedup=False,
    )
    safe = "".join(c if c.isalnum() else "-" for c in principal_id)
    return _csv(runtime, where, f"{safe}-history.csv")


@router.get("/api/audit/denied", response_model=AuditPageOut)
def denied_audit(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    who: Annotated[str | None, Query(alias="actor", max_length=100)] = None,
    action: Text = None,
    object_type: Text = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Before = None,
    limit: Limit = 100,
) -> AuditPageOut:
    """Refused attempts across the archive (outcome ``denied``), newest first."""
    filters = _filters(actor=who, action=action, object_type=object_type, since=since, until=until)
    with runtime.db.session(read_only=True) as session:
        page = views.denied(session, filters, before=before, limit=limit)
    _note_read(runtime, actor, "audit", "denied", "refused attempts", now=now_for(request))
    return _page_out(page)


@router.get("/api/audit/denied/csv", response_class=Response)
def denied_audit_csv(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    who: Annotated[str | None, Query(alias="actor", max_length=100)] = None,
    action: Text = None,
    object_type: Text = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    filters = _filters(actor=who, action=action, object_type=object_type, since=since, until=until)
    _note_read(
        runtime, actor, "audit", "denied", "refused attempts CSV", now=now_for(request), dedup=False
    )
    return _csv(runtime, views.denied_where(filters), "denied-attempts.csv")


def _report(runtime: Runtime, actor: Principal, recording_id: int, now: datetime) -> Any:
    _note_read(runtime, actor, "recording", recording_id, "custody report", now=now)
    with runtime.db.session(read_only=True) as session:
        return custody_report(runtime, session, recording_id)


@router.get("/api/recordings/{recording_id}/custody-report", response_model=CustodyReportOut)
def custody_report_json(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.CUSTODY_VIEW))],
) -> Response:
    """The chain-of-custody report of one recording, with each event's ledger proof
    (check it offline: each event's proof is a standard proof bundle)."""
    document = CustodyReportOut.model_validate(
        _report(runtime, access.principal, recording_id, access.now)
    )
    return Response(
        document.model_dump_json(),
        media_type="application/json",
        headers={
            **NO_STORE,
            "Content-Disposition": (
                f'inline; filename="recording-{recording_id}-custody-report.json"'
            ),
        },
    )


# -- pages ----------------------------------------------------------------------------------


def _events_page(
    request: Request,
    *,
    title: str,
    page: views.AuditPage,
    csv_url: str,
    subject: dict[str, Any],
    query: dict[str, Any],
) -> HTMLResponse:
    next_url = None
    if page.next_before is not None:
        kept = {k: v for k, v in query.items() if v not in (None, "", False)}
        next_url = f"{request.url.path}?{urlencode({**kept, 'before': page.next_before})}"
    response = render(
        request,
        "audit_events.html",
        title=title,
        rows=page.items,
        csv_url=csv_url,
        next_url=next_url,
        subject=subject,
        query=query,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_home(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        recent = views.denied(session, limit=20)
    _note_read(runtime, actor, "audit", "denied", "refused attempts", now=now_for(request))
    response = render(request, "audit.html", denied=recent.items)
    response.headers.update(NO_STORE)
    return response


@router.get("/audit/recordings", include_in_schema=False)
def find_recording_audit(
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    recording_id: Annotated[int, Query(alias="id", ge=1, le=2**63 - 1)],
) -> Response:
    return RedirectResponse(f"/audit/recordings/{recording_id}", status_code=303)


@router.get("/audit/users", include_in_schema=False)
def find_user_audit(
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    principal_id: Annotated[
        str, Query(alias="actor", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9:._@-]+$")
    ],
) -> Response:
    return RedirectResponse(f"/audit/users/{quote(principal_id, safe=':@')}", status_code=303)


@router.get(
    "/audit/recordings/{recording_id}", response_class=HTMLResponse, include_in_schema=False
)
def recording_audit_page(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    all_events: Annotated[bool, Query(alias="all")] = False,
    before: Before = None,
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        rec = evidence.get_recording(session, recording_id)
        name = rec.title or rec.original_filename
        page = views.recording_access(
            session, recording_id, _filters(access_only=not all_events), before=before
        )
    _note_read(runtime, actor, "recording", recording_id, "access record", now=now_for(request))
    suffix = "?all=true" if all_events else ""
    return _events_page(
        request,
        title=f"Access record of recording {recording_id}: {name}",
        page=page,
        csv_url=f"/api/audit/recordings/{recording_id}/csv{suffix}",
        subject={"kind": "recording", "id": recording_id, "all": all_events},
        query={"all": "true" if all_events else None},
    )


@router.get("/audit/users/{principal_id}", response_class=HTMLResponse, include_in_schema=False)
def user_audit_page(
    principal_id: ActorId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    action: Text = None,
    before: Before = None,
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        page = views.actor_history(session, principal_id, _filters(action=action), before=before)
    _note_read(
        runtime, actor, "audit", f"actor:{principal_id}", "access history", now=now_for(request)
    )
    csv_query = f"?{urlencode({'action': action})}" if action else ""
    return _events_page(
        request,
        title=f"Access history of {principal_id}",
        page=page,
        csv_url=f"/api/audit/users/{principal_id}/csv{csv_query}",
        subject={"kind": "actor", "id": principal_id},
        query={"action": action},
    )


@router.get("/audit/denied", response_class=HTMLResponse, include_in_schema=False)
def denied_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AUDIT_VIEW))],
    who: Annotated[str | None, Query(alias="actor", max_length=100)] = None,
    action: Text = None,
    object_type: Text = None,
    before: Before = None,
) -> HTMLResponse:
    filters = _filters(actor=who, action=action, object_type=object_type)
    with runtime.db.session(read_only=True) as session:
        page = views.denied(session, filters, before=before)
    _note_read(runtime, actor, "audit", "denied", "refused attempts", now=now_for(request))
    query = {"actor": who, "action": action, "object_type": object_type}
    kept = {k: v for k, v in query.items() if v}
    return _events_page(
        request,
        title="Refused attempts",
        page=page,
        csv_url="/api/audit/denied/csv" + (f"?{urlencode(kept)}" if kept else ""),
        subject={"kind": "denied"},
        query=query,
    )


@router.get(
    "/recordings/{recording_id}/custody-report",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def custody_report_page(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.CUSTODY_VIEW))],
) -> HTMLResponse:
    report = _report(runtime, access.principal, recording_id, access.now)
    response = render(
        request,
        "custody_report.html",
        report=report,
        printed_by=access.principal,
        produced_at=access.now,
    )
    response.headers.update(NO_STORE)
    return response
