"""Route guards: every route declares exactly one permission, or says it is public.

- ``require(P)``: the coarse gate (does some rule ever grant ``P`` to this principal?), for
  routes that act on no single recording or incident.
- ``recording_for(P)`` / ``incident_for(P)``: load the path's resource and decide on it with
  :func:`sunlight.access.decide`. Out of scope (or no such resource) answers 404, exactly as
  a nonexistent id does; in scope but refused answers 403 with the rule and the reason, and
  the refusal is a custody event on the resource (outcome ``denied``), committed although
  the request fails.
- ``public()``: marks a route as deliberately open to anyone.

The reason for an access travels in a ``Sunlight-Reason`` header or a ``reason`` query or
form parameter (``criminal-investigation: case 24-1``, or free text).

Every decision is taken at the request's ``now`` (``deps.now_for``: the app's clock), which
the loaders hand on in ``Access.now`` for the route's own lists and checks.
"""

# No ``from __future__ import annotations``: the loaders' parameter annotations name the
# closure's ``permission``, which FastAPI must see evaluated, not as a string.

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from sunlight.access import INFO, Decision, Permission, Principal, Reason, decide, visible
from sunlight.access.policy import load_access_policy
from sunlight.errors import Forbidden, NotFound
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.runtime import Runtime
from sunlight.validation import Id, SmallId
from sunlight.web.deps import current_principal as current_principal
from sunlight.web.deps import get_runtime, now_for
from sunlight.web.deps import require as require

REASON_HEADER = "Sunlight-Reason"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

__all__ = [
    "REASON_HEADER",
    "Access",
    "check",
    "compose_reason",
    "current_principal",
    "decide_quietly",
    "deny",
    "incident_for",
    "public",
    "raw_reason",
    "reason_of",
    "recording_for",
    "require",
    "scope",
]


def public() -> Callable[[], None]:
    """A dependency that admits anyone: the route is public on purpose (the transparency
    log, health checks, the API description, sign-in pages)."""

    def dependency() -> None:
        return None

    dependency.__name__ = "public_route"
    dependency.public = True  # type: ignore[attr-defined]  # read by the route table
    return dependency


async def raw_reason(request: Request) -> str | None:
    """The stated reason of a request, as sent: the ``reason`` query parameter (or the
    reason form's two fields), then a ``reason`` form field, then the ``Sunlight-Reason``
    header (a client's standing reason yields to one given for this very request)."""
    query = request.query_params.get("reason")
    if query and query.strip():
        return query
    chosen = compose_reason(
        request.query_params.get("reason_id"), request.query_params.get("reason_text")
    )
    if chosen:
        return chosen
    content_type = request.headers.get("content-type", "")
    if request.method not in ("GET", "HEAD") and content_type.startswith(_FORM_TYPES):
        form = await request.form()  # parsed once; the route's Form(...) fields reuse it
        value = form.get("reason")
        if isinstance(value, str) and value.strip():
            return value
    header = request.headers.get(REASON_HEADER)
    if header and header.strip():
        return header
    return None


def compose_reason(reason_id: str | None, text: str | None) -> str | None:
    """The reason form's two fields (a chosen reason id, and text) as one reason."""
    reason_id, text = (reason_id or "").strip(), (text or "").strip()
    if reason_id and text:
        return f"{reason_id}: {text}"
    return reason_id or text or None


def reason_of(raw: str | None) -> Reason | None:
    """A request's reason parsed against the published policy's reasons."""
    return Reason.parse(raw, load_access_policy().policy)


@dataclass(frozen=True)
class Access:
    """What a resource loader hands the route: who, on what, why, the deciding rule, and
    the moment it was decided at (the request's ``now``)."""

    principal: Principal
    resource_id: int
    decision: Decision
    reason: Reason | None
    now: datetime

    @property
    def actor(self) -> str:
        return self.principal.id

    @property
    def reason_text(self) -> str | None:
        return str(self.reason) if self.reason is not None else None

    def log_details(self) -> dict[str, str]:
        """The decision's rule and policy, for the route's own custody event."""
        return {
            "rule": self.decision.rule,
            "policy_version": self.decision.policy_version,
        }


def deny(
    runtime: Runtime,
    principal: Principal,
    resource: str,
    resource_id: int,
    decision: Decision,
    reason: Reason | None,
    *,
    now: datetime,
) -> Forbidden:
    """Record a refusal on the resource (its own committed transaction, stamped ``now``:
    the request's clock) and return the 403."""
    with runtime.db.session() as session:
        record(
            session,
            actor=principal.id,
            action=Action.ACCESS_DENIED,
            object_type=resource,
            object_id=resource_id,
            outcome=Outcome.DENIED,
            reason=str(reason)[:2000] if reason is not None else None,
            details={
                **decision.as_details(),
                "explanation": decision.reason,
                "obligations": list(decision.obligations),
            },
            at=now,
        )
    return Forbidden(
        f"{decision.reason} (rule: {decision.rule})",
        diagnostics={
            "rule": decision.rule,
            "reason": decision.reason,
            "obligations": list(decision.obligations),
            "policy_version": decision.policy_version,
        },
    )


def check(
    runtime: Runtime,
    principal: Principal,
    permission: Permission,
    resource_id: int,
    raw: str | None,
    *,
    now: datetime,
) -> Access:
    """Decide ``permission`` on one resource at ``now``: 404 out of scope, 403 (recorded)
    refused."""
    resource = INFO[permission].resource
    assert resource is not None, f"{permission} is not checked against a resource"
    reason = reason_of(raw)
    with runtime.db.session(read_only=True) as session:
        decision = decide(session, principal, permission, resource_id, now=now, reason=reason)
    if not decision.in_scope:
        if decision.exists:
            # Someone reached for a real resource outside their scope (ID guessing, a stale
            # link): recorded like any refusal, answered exactly like a missing id.
            deny(runtime, principal, resource, resource_id, decision, reason, now=now)
        raise NotFound(f"no {resource} {resource_id}")
    if not decision.allowed:
        raise deny(runtime, principal, resource, resource_id, decision, reason, now=now)
    return Access(principal, resource_id, decision, reason, now)


def recording_for(permission: Permission) -> Callable[..., Access]:
    """A dependency that loads the path's ``recording_id`` under ``permission``."""
    if INFO[permission].resource != "recording":
        raise ValueError(f"{permission} is not a recording permission")

    def dependency(
        recording_id: Id,
        request: Request,
        runtime: Annotated[Runtime, Depends(get_runtime)],
        principal: Annotated[Principal, Depends(require(permission))],
        raw: Annotated[str | None, Depends(raw_reason)],
    ) -> Access:
        return check(runtime, principal, permission, recording_id, raw, now=now_for(request))

    dependency.__name__ = f"recording_for_{permission.name.lower()}"
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def incident_for(permission: Permission) -> Callable[..., Access]:
    """A dependency that loads the path's ``incident_id`` under ``permission``."""
    if INFO[permission].resource != "incident":
        raise ValueError(f"{permission} is not an incident permission")

    def dependency(
        incident_id: SmallId,
        request: Request,
        runtime: Annotated[Runtime, Depends(get_runtime)],
        principal: Annotated[Principal, Depends(require(permission))],
        raw: Annotated[str | None, Depends(raw_reason)],
    ) -> Access:
        return check(runtime, principal, permission, incident_id, raw, now=now_for(request))

    dependency.__name__ = f"incident_for_{permission.name.lower()}"
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def scope(principal: Principal, permission: Permission, *, now: datetime) -> ColumnElement[bool]:
    """The SQL condition a list applies (before counting and paging) for ``permission``,
    at ``now``."""
    return visible(principal, permission, now=now)


def decide_quietly(
    session: Session,
    principal: Principal,
    permission: Permission,
    resource_id: int,
    raw: str | None,
    *,
    now: datetime,
) -> Decision:
    """Decide at ``now`` without recording anything (for showing or hiding parts of a
    page)."""
    return decide(session, principal, permission, resource_id, now=now, reason=reason_of(raw))
