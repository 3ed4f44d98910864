"""The access policy, shown to staff: the rules in plain language, the exact file and its
hash, and an explanation of any decision (Datasette's ``/-/check``, Warehouse's reason codes).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel

from sunlight.access import INFO, Permission, Principal, decide, load_access_policy
from sunlight.access.conditions import CONDITIONS
from sunlight.access.policy import AccessPolicy
from sunlight.errors import InvalidInput
from sunlight.validation import Id
from sunlight.web import pages
from sunlight.web.deps import RuntimeDep, now_for, require

router = APIRouter()


class RuleOut(BaseModel):
    id: str
    effect: str
    roles: list[str]
    unless_roles: list[str]
    permissions: list[str]
    condition: str
    condition_text: str
    needs: list[str]
    explanation: str
    basis: str


class RoleOut(BaseModel):
    id: str
    label: str
    description: str
    staff: bool
    #: the kinds of agency the role may be held in
    agency_kinds: list[str]


class ReasonOut(BaseModel):
    id: str
    label: str
    purpose: bool


class PermissionOut(BaseModel):
    name: str
    description: str
    resource: str | None
    step_up: bool
    token_ok: bool


class AccessPolicyOut(BaseModel):
    version: str
    effective: date
    title: str
    sha256: str
    default: str
    roles: list[RoleOut]
    reasons: list[ReasonOut]
    permissions: list[PermissionOut]
    rules: list[RuleOut]


class DecisionOut(BaseModel):
    principal: str
    permission: str
    resource_id: int | None
    allowed: bool
    in_scope: bool
    rule: str
    reason: str
    obligations: list[str]
    policy_version: str
    policy_sha256: str


def _describe(policy: AccessPolicy, sha256: str) -> AccessPolicyOut:
    return AccessPolicyOut(
        version=policy.version,
        effective=policy.effective,
        title=policy.title,
        sha256=sha256,
        default=policy.default,
        roles=[
            RoleOut(
                id=name,
                label=r.label,
                description=r.description,
                staff=r.staff,
                agency_kinds=list(r.agency_kinds),
            )
            for name, r in policy.roles.items()
        ],
        reasons=[ReasonOut(id=r.id, label=r.label, purpose=r.purpose) for r in policy.reasons],
        permissions=[
            PermissionOut(
                name=str(p),
                description=INFO[p].description,
                resource=INFO[p].resource,
                step_up=INFO[p].step_up,
                token_ok=INFO[p].token_ok,
            )
            for p in Permission
        ],
        rules=[
            RuleOut(
                id=r.id,
                effect=r.effect,
                roles=r.roles,
                unless_roles=r.unless_roles,
                permissions=[str(p) for p in r.expanded()],
                condition=r.condition,
                condition_text=CONDITIONS[r.condition].description,
                needs=list(r.needs),
                explanation=r.explanation,
                basis=r.basis,
            )
            for r in policy.rules
        ],
    )


@router.get("/api/policies/access", response_model=AccessPolicyOut)
def access_policy(
    principal: Annotated[Principal, Depends(require(Permission.POLICY_VIEW))],
) -> AccessPolicyOut:
    loaded = load_access_policy()
    return _describe(loaded.policy, loaded.sha256)


@router.get("/api/policies/access.yaml", response_class=PlainTextResponse)
def access_policy_file(
    principal: Annotated[Principal, Depends(require(Permission.POLICY_VIEW))],
) -> Response:
    loaded = load_access_policy()
    return PlainTextResponse(
        loaded.text,
        media_type="application/yaml",
        headers={"X-Policy-SHA256": loaded.sha256},
    )


@router.get("/api/access/explain", response_model=DecisionOut)
def explain(
    request: Request,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Permission.POLICY_VIEW))],
    permission: Permission,
    resource_id: Annotated[Id | None, Query()] = None,
    reason: Annotated[str | None, Query(max_length=500)] = None,
) -> DecisionOut:
    """How the policy decides *your* request: allowed or not, the rule, and why. Says nothing
    about a resource you may not see (in_scope false, like a 404)."""
    needs_resource = INFO[permission].resource is not None
    if needs_resource and resource_id is None:
        raise InvalidInput(f"{permission} is decided per resource: give resource_id")
    with runtime.db.session(read_only=True) as session:
        decision = decide(
            session if needs_resource else None,
            principal,
            permission,
            resource_id if needs_resource else None,
            now=now_for(request),
            reason=reason,
        )
    hidden = needs_resource and not decision.in_scope
    return DecisionOut(
        principal=principal.id,
        permission=str(permission),
        resource_id=resource_id,
        allowed=decision.allowed and not hidden,
        in_scope=decision.in_scope,
        rule="not-found" if hidden else decision.rule,
        reason="no such resource, or not one you may see" if hidden else decision.reason,
        obligations=[] if hidden else list(decision.obligations),
        policy_version=decision.policy_version,
        policy_sha256=decision.policy_sha256,
    )


@router.get("/policies/access", response_class=HTMLResponse, include_in_schema=False)
def access_policy_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.POLICY_VIEW))],
) -> Response:
    loaded = load_access_policy()
    return pages.render(
        request,
        "access_policy.html",
        policy=_describe(loaded.policy, loaded.sha256),
        conditions=sorted(CONDITIONS.values(), key=lambda c: c.name),
    )
