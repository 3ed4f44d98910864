"""The published policies on the public portal: the list, each policy as a readable page
with its version history and proposals, diffs, the exact files, and the comment form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from sunlight.policies import service, views
from sunlight.policies.diff import DiffLine, compact
from sunlight.policies.registry import KINDS, kind
from sunlight.policies.render import readable
from sunlight.policies.web_common import (
    VERSION_PATTERN,
    PolicyName,
    VersionStr,
    comment_rate_limited,
)
from sunlight.portal.i18n import NC_
from sunlight.portal.pages import render
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])

#: A policy version's status, shown with ``pgettext(STATUS_CONTEXT, label)``: Spanish writes
#: it for one version ("versión": "Retirada"), where counted requests are "Retiradas".
STATUS_CONTEXT = "policy version status"
STATUS_LABELS = {
    service.ADOPTED: NC_("policy version status", "In force"),
    service.PROPOSED: NC_("policy version status", "Proposed"),
    service.WITHDRAWN: NC_("policy version status", "Withdrawn"),
    service.SUPERSEDED: NC_("policy version status", "Replaced"),
}


@router.get("/public/policies", response_class=HTMLResponse)
def policies_page(request: Request, runtime: RuntimeDep) -> Response:
    with runtime.db.session(read_only=True) as session:
        items = views.policy_list(session)
    return render(request, "public_policies.html", policies=items)


def _policy_page(
    request: Request, runtime: RuntimeDep, name: str, *, status_code: int = 200
) -> Response:
    now = now_for(request)
    with runtime.db.session(read_only=True) as session:
        policy = views.policy_detail(session, name, now)
        live = service.current(session, name)
        text = live.content if live else ""
        diffs = {
            p.version.version: views.diff(session, name, policy.current.version, p.version.version)
            for p in policy.proposals
            if policy.current is not None and p.version.version != policy.current.version
        }
    shortened = {
        key: compact([DiffLine(x.change, x.old_line, x.new_line, x.text) for x in found.lines])
        for key, found in diffs.items()
    }
    return render(
        request,
        "public_policy.html",
        status_code=status_code,
        policy=policy,
        compact=shortened,
        proposals=[p for p in policy.proposals if p.version.status != service.ADOPTED],
        diffs=diffs,
        readable=readable(KINDS[name], text),
        status_labels=STATUS_LABELS,
        status_context=STATUS_CONTEXT,
        max_name=service.MAX_NAME_CHARS,
        max_comment=service.MAX_COMMENT_CHARS,
    )


@router.get("/public/policies/{name}", response_class=HTMLResponse)
def policy_page(name: PolicyName, request: Request, runtime: RuntimeDep) -> Response:
    kind(name)
    return _policy_page(request, runtime, name)


@router.get("/public/policies/{name}/diff", response_class=HTMLResponse)
def diff_page(
    name: PolicyName,
    request: Request,
    runtime: RuntimeDep,
    from_: Annotated[str, Query(alias="from", pattern=VERSION_PATTERN)],
    to: Annotated[str, Query(pattern=VERSION_PATTERN)],
) -> Response:
    with runtime.db.session(read_only=True) as session:
        found = views.diff(session, name, from_, to)
    return render(request, "public_policy_diff.html", diff=found, title=kind(name).title)


@router.get("/public/policies/{name}/versions/{version}.yaml", response_class=PlainTextResponse)
def raw_file(name: PolicyName, version: VersionStr, runtime: RuntimeDep) -> Response:
    """The exact stored file of a version (its SHA-256 is in the ETag and a header)."""
    with runtime.db.session(read_only=True) as session:
        row = views.raw(session, name, version)
        text, sha256, number = row.content, row.sha256, row.version
    return Response(
        content=text.encode(),
        media_type="application/yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-policy-{number}.yaml"',
            "ETag": f'"{sha256}"',
            "X-Content-SHA256": sha256,
        },
    )


@router.post(
    "/public/policies/{name}/versions/{version}/comments",
    response_class=HTMLResponse,
    dependencies=[Depends(comment_rate_limited)],
)
def comment_form(
    name: PolicyName,
    version: VersionStr,
    request: Request,
    runtime: RuntimeDep,
    comment: Annotated[str, Form(max_length=service.MAX_COMMENT_CHARS)] = "",
    commenter: Annotated[str, Form(alias="name", max_length=service.MAX_NAME_CHARS)] = "",
) -> Response:
    with runtime.db.session() as session:
        row = service.get_version(session, name, version)
        service.add_comment(session, row, name=commenter, body=comment, now=now_for(request))
    return render(request, "public_policy_comment_done.html", policy_name=name)
