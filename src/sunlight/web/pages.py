"""Staff HTML pages: recordings, a recording, upload, officers and cameras."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight import __version__
from sunlight.access import Permission, Principal, may_ever, visible
from sunlight.access.policy import load_access_policy
from sunlight.evidence import service
from sunlight.evidence.custody import Action, events_for
from sunlight.evidence.models import Recording
from sunlight.ledger.proofs import leaves_for_events
from sunlight.portal import i18n, labels
from sunlight.redaction.models import RedactionJob
from sunlight.retention.service import recording_status
from sunlight.runtime import Runtime
from sunlight.validation import Id
from sunlight.web.access_log import log_read
from sunlight.web.deps import RuntimeDep, current_principal, now_for
from sunlight.web.guard import Access, decide_quietly, public, recording_for, require
from sunlight.web.language import render_localized

templates = Jinja2Templates(
    env=jinja2.Environment(
        # public_request_*.html extend the portal's public_base.html (no staff chrome)
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                jinja2.FileSystemLoader(i18n.LOCALE_DIR.parent / "templates"),
            ]
        ),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
)
# The public request pages here are translated: the reader's language, per request.
i18n.install(templates.env)
labels.install(templates.env)
router = APIRouter(include_in_schema=False)


def _filesize(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


templates.env.filters["filesize"] = _filesize
templates.env.filters["duration"] = _duration
templates.env.filters["when"] = _when
templates.env.globals["version"] = __version__


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    context.setdefault("site_name", runtime.settings.site_name)
    context.setdefault("department", runtime.settings.department)
    if name.startswith("public_"):
        return render_localized(templates, request, name, context, status_code)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _day(value: str | None, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise service.InvalidChange(f"not a date (YYYY-MM-DD): {value!r}") from exc
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


#: Where "home" is, in order: the first of these the principal may use.
HOMES = (
    (Permission.RECORDING_LIST, "/recordings"),
    (Permission.INCIDENT_VIEW, "/incidents"),
    (Permission.USER_VIEW, "/admin/users"),
    (Permission.POLICY_VIEW, "/policies/access"),
)


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(public())])
def home(principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    if not principal.is_authenticated:  # residents land on the public portal
        return RedirectResponse("/public", status_code=303)
    target = next((path for p, path in HOMES if may_ever(principal, p)), "/account")
    return RedirectResponse(target, status_code=307)


@router.get("/recordings", response_class=HTMLResponse)
def recordings(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RECORDING_LIST))],
    officer_id: Annotated[str | None, Query()] = None,
    device_id: Annotated[str | None, Query()] = None,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
    status: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    error = None
    now = now_for(request)
    scope = visible(actor, Permission.RECORDING_LIST, now=now)
    with runtime.db.session(read_only=True) as session:
        officers = service.list_officers(session)
        devices = service.list_devices(session)
        try:
            filters = service.RecordingFilter(
                officer_id=int(officer_id) if officer_id else None,
                device_id=int(device_id) if device_id else None,
                recorded_from=_day(date_from),
                recorded_to=_day(date_to, end=True),
                status=status or None,
                text=q or None,
            )
            result = service.list_recordings(session, filters, page=page, per_page=25, where=scope)
        except (service.InvalidChange, ValueError) as exc:
            error = str(exc)
            result = service.list_recordings(
                session, service.RecordingFilter(), page=1, where=scope
            )
        posters = {
            r.id
            for r in result.items
            if r.poster_sha256
            and decide_quietly(
                session, actor, Permission.RECORDING_STREAM, r.id, None, now=now
            ).allowed
        }
        query = {
            k: v
            for k, v in {
                "officer_id": officer_id,
                "device_id": device_id,
                "from": date_from,
                "to": date_to,
                "status": status,
                "q": q,
            }.items()
            if v
        }
        return render(
            request,
            "recordings.html",
            query_string=urlencode(query),
            status_code=422 if error else 200,
            page=result,
            posters=posters,
            officers=officers,
            devices=devices,
            query=query,
            statuses=service.RECORDING_STATUSES,
            error=error,
        )


def latest_recorded_month(session: Session) -> str | None:
    """The month (YYYY-MM) of the latest camera recording still held (redacted copies are
    made later and do not count), for empty month views."""
    latest = session.scalar(
        select(func.max(Recording.recorded_at)).where(
            Recording.deleted_at.is_(None), Recording.ingest_source != "redaction"
        )
    )
    return latest.strftime("%Y-%m") if latest is not None else None


def _manifest(details: dict[str, Any] | None) -> dict[str, Any]:
    """What a render job says about its copy's C2PA manifest: signed (by whom) or not (why)."""
    c2pa = (details or {}).get("c2pa")
    if not isinstance(c2pa, dict):
        return {"signed": False, "why": "no C2PA record for this copy"}
    signer = str(c2pa.get("signer") or "")
    return {
        "signed": bool(c2pa.get("signed")),
        "signer": signer,
        "alg": str(c2pa.get("alg") or "").upper(),
        "why": str(c2pa.get("why") or ""),
        "demo": "DEMO ONLY" in signer,
    }


def redaction_lineage(session: Session, recording_id: int) -> dict[str, Any]:
    """Redacted copies made from this recording, and the original this one was made from,
    each with its C2PA manifest status."""
    done = RedactionJob.kind == "render", RedactionJob.status == "done"
    copies = [
        {"recording_id": job.result_recording_id, "plan_id": job.plan_id, **_manifest(job.details)}
        for job in session.scalars(
            select(RedactionJob)
            .where(RedactionJob.recording_id == recording_id, *done)
            .order_by(RedactionJob.id)
        )
    ]
    parent = session.scalar(
        select(RedactionJob).where(RedactionJob.result_recording_id == recording_id, *done)
    )
    source = None
    if parent is not None:
        source = {
            "recording_id": parent.recording_id,
            "plan_id": parent.plan_id,
            **_manifest(parent.details),
        }
    return {"copies": copies, "source": source}


def footage_panel(
    session: Session,
    actor: Principal,
    recording_id: int,
    raw_reason: str | None,
    *,
    now: datetime,
) -> dict[str, Any]:
    """What the player area shows at ``now``: the player (with the reason carried on every
    media link), a form asking for a reason or purpose, or the refusal with its rule."""
    stream = decide_quietly(
        session, actor, Permission.RECORDING_STREAM, recording_id, raw_reason, now=now
    )
    download = decide_quietly(
        session, actor, Permission.RECORDING_DOWNLOAD, recording_id, raw_reason, now=now
    )
    ask = None
    if not stream.allowed and {"purpose", "reason"} & set(stream.obligations):
        # a missing purpose is checked first, and a purpose also satisfies a reason
        ask = "purpose" if "purpose" in stream.obligations else "reason"
    policy = load_access_policy().policy
    return {
        "allowed": stream.allowed,
        "download": download.allowed,
        "ask": ask,
        "refusal": None if stream.allowed else stream,
        "reason": raw_reason or "",
        "q": urlencode({"reason": raw_reason}) if raw_reason and stream.allowed else "",
        "reasons": [
            {"id": r.id, "label": r.label, "purpose": r.purpose}
            for r in policy.reasons
            if ask != "purpose" or r.purpose
        ],
    }


@router.get("/recordings/{recording_id}", response_class=HTMLResponse)
def recording(
    request: Request,
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_VIEW))],
    reason_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    if reason_id and "reason" not in request.query_params and access.reason_text:
        # the reason form was sent: reload with the one ``reason`` parameter
        query = urlencode({"reason": access.reason_text})
        return RedirectResponse(f"/recordings/{recording_id}?{query}", status_code=303)
    actor = access.principal
    log_read(
        runtime,
        actor,
        Action.VIEW,
        recording_id,
        now=access.now,
        reason=access.reason_text,
        details=access.log_details(),
    )
    with runtime.db.session(read_only=True) as session:
        rec = service.get_recording(session, recording_id)
        custody = decide_quietly(
            session,
            actor,
            Permission.CUSTODY_VIEW,
            recording_id,
            access.reason_text,
            now=access.now,
        )
        events = events_for(session, "recording", recording_id) if custody.allowed else []
        leaves = leaves_for_events(session, [e.id for e in events])
        return render(
            request,
            "recording.html",
            rec=rec,
            footage=footage_panel(session, actor, recording_id, access.reason_text, now=access.now),
            events=events,
            leaves=leaves,
            retention=recording_status(session, recording_id),
            redaction=redaction_lineage(session, recording_id),
            officers=service.list_officers(session),
            devices=service.list_devices(session),
        )


@router.post("/recordings/{recording_id}/flags")
def flag_form(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_FLAG))],
    kind: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    with runtime.db.session() as session:
        service.flag_recording(session, recording_id, kind=kind, reason=reason, actor=access.actor)
    return RedirectResponse(f"/recordings/{recording_id}#flags", status_code=303)


@router.post("/recordings/{recording_id}/flags/{flag_id}/clear")
def clear_flag_form(
    recording_id: Id,
    flag_id: int,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_FLAG))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    with runtime.db.session() as session:
        service.clear_flag(
            session, recording_id, flag_id, actor=access.actor, reason=reason, now=access.now
        )
    return RedirectResponse(f"/recordings/{recording_id}#flags", status_code=303)


@router.post("/recordings/{recording_id}/metadata")
def metadata_form(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_EDIT))],
    reason: Annotated[str, Form(max_length=2000)],
    title: Annotated[str, Form(max_length=255)] = "",
    notes: Annotated[str, Form(max_length=10000)] = "",
    officer_id: Annotated[str, Form()] = "",
) -> Response:
    changes: dict[str, Any] = {
        "title": title.strip() or None,
        "notes": notes.strip() or None,
        "officer_id": int(officer_id) if officer_id.strip() else None,
    }
    with runtime.db.session() as session:
        service.update_recording(session, recording_id, changes, actor=access.actor, reason=reason)
    return RedirectResponse(f"/recordings/{recording_id}", status_code=303)


@router.get("/upload", response_class=HTMLResponse)
def upload_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RECORDING_UPLOAD))],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        return render(
            request,
            "upload.html",
            officers=service.list_officers(session),
            devices=service.list_devices(session),
            max_size=runtime.settings.max_upload_bytes,
        )


@router.get("/officers", response_class=HTMLResponse)
def officers_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.OFFICER_VIEW))],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        return render(request, "officers.html", officers=service.list_officers(session))


@router.post("/officers")
def create_officer_form(
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.OFFICER_MANAGE))],
    badge_number: Annotated[str, Form(max_length=32)],
    name: Annotated[str, Form(max_length=200)],
    unit: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    with runtime.db.session() as session:
        service.create_officer(
            session, badge_number=badge_number, name=name, unit=unit or None, actor=actor.id
        )
    return RedirectResponse("/officers", status_code=303)


@router.get("/devices", response_class=HTMLResponse)
def devices_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_VIEW))],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        return render(
            request,
            "devices.html",
            devices=service.list_devices(session),
            officers=service.list_officers(session),
            last_upload=service.last_upload_by_device(session),
        )


@router.post("/devices")
def create_device_form(
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
    serial: Annotated[str, Form(max_length=64)],
    vendor: Annotated[str, Form(max_length=100)],
    model: Annotated[str, Form(max_length=100)],
    kind: Annotated[str, Form()] = "body",
    funding_source: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    with runtime.db.session() as session:
        service.create_device(
            session,
            serial=serial,
            vendor=vendor,
            model=model,
            kind=kind,
            funding_source=funding_source or None,
            actor=actor.id,
        )
    return RedirectResponse("/devices", status_code=303)


@router.post("/devices/{device_id}/assign")
def assign_device_form(
    device_id: int,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
    officer_id: Annotated[int, Form()],
) -> Response:
    with runtime.db.session() as session:
        service.assign_device(
            session,
            device_id=device_id,
            officer_id=officer_id,
            at=now_for(request),
            actor=actor.id,
        )
    return RedirectResponse("/devices", status_code=303)
