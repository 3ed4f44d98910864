"""One rule answers both questions: "may I?" (:func:`decide`) and "which may I see?"
(:func:`visible`, a SQL condition that services apply before counting and paging).

A single check on a resource runs the very conditions a list filters by, with ``id = x``,
in one query; so a list and a detail page cannot disagree. Both take ``now``, the moment
the question is asked at (the caller's clock: the web app's ``app.state.clock``, a job's
``as_of``), which conditions about time (a share's expiry) compare with; neither reads the
wall clock.

Only the roles a principal may hold in its kind of agency count (the policy's
``agency_kinds``): a role held anyway (a row edited in the table, a role the policy has
narrowed since it was given) grants nothing, and a refusal it would otherwise have granted
names the rule ``role-agency-kind``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select
from sqlalchemy.orm import Session

from sunlight.access import conditions
from sunlight.access.permissions import INFO, Permission
from sunlight.access.policy import AccessPolicy, Rule, load_access_policy
from sunlight.access.principal import Principal

DEFAULT_DENY = "default-deny"
TOKEN_SCOPE = "token-scope"  # noqa: S105 - a rule id
#: The refusal of a permission that only a role the principal may not hold in its kind of
#: agency would grant (the role is ignored: it grants nothing).
ROLE_AGENCY_KIND = "role-agency-kind"
MAX_REASON = 500


@dataclass(frozen=True)
class Reason:
    """Why someone opens footage: a chosen reason id from the policy, and/or typed text.
    Sent as ``Sunlight-Reason: <id>: <text>`` (or just text) or a ``reason`` parameter."""

    text: str
    category: str | None = None

    @classmethod
    def parse(cls, raw: str | None, policy: AccessPolicy) -> Reason | None:
        if raw is None:
            return None
        raw = " ".join(raw.split())[:MAX_REASON]
        if not raw:
            return None
        head, sep, rest = raw.partition(":")
        if sep and policy.reason_def(head.strip()) is not None:
            return cls(text=rest.strip(), category=head.strip())
        if policy.reason_def(raw) is not None:
            return cls(text="", category=raw)
        return cls(text=raw)

    def is_purpose(self, policy: AccessPolicy) -> bool:
        """A purpose tied to a criminal investigation or a complaint, with its reference."""
        chosen = policy.reason_def(self.category) if self.category else None
        return chosen is not None and chosen.purpose and bool(self.text)

    def __str__(self) -> str:
        if self.category and self.text:
            return f"{self.category}: {self.text}"
        return self.category or self.text


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str
    reason: str
    permission: Permission
    #: what the granting rules ask for: "reason", "purpose"
    obligations: tuple[str, ...] = ()
    #: the resource is in the principal's scope (False: answer 404, not 403)
    in_scope: bool = True
    #: the resource exists at all (a refusal on a real one is recorded, even out of scope)
    exists: bool = True
    policy_version: str = ""
    policy_sha256: str = ""

    def as_details(self) -> dict[str, Any]:
        return {
            "permission": str(self.permission),
            "rule": self.rule,
            "in_scope": self.in_scope,
            "policy_version": self.policy_version,
            "policy_sha256": self.policy_sha256,
        }


def _policy() -> tuple[AccessPolicy, str]:
    loaded = load_access_policy()
    return loaded.policy, loaded.sha256


def held_roles(policy: AccessPolicy, principal: Principal) -> frozenset[str]:
    """The principal's roles that count: those the policy lets its kind of agency hold."""
    if principal.agency_kind is None:  # a link, a job or a token of no agency
        return principal.roles
    return frozenset(r for r in principal.roles if policy.role_allowed(r, principal.agency_kind))


def _rules(policy: AccessPolicy, principal: Principal, permission: Permission) -> list[Rule]:
    roles = held_roles(policy, principal)
    return [
        rule
        for rule in policy.rules
        if permission in rule.expanded() and rule.applies_to_roles(roles)
    ]


def ignored_role_refusal(
    principal: Principal, permission: Permission, policy: AccessPolicy | None = None
) -> str | None:
    """Why ``permission`` is refused when only a role the principal may not hold in its
    kind of agency would grant it (None when no such role would)."""
    policy = policy or _policy()[0]
    ignored = principal.roles - held_roles(policy, principal)
    granting = sorted(
        {
            role
            for rule in policy.rules
            if rule.effect == "allow" and permission in rule.expanded()
            for role in ignored & set(rule.roles)
        }
    )
    if not granting:
        return None
    return (
        f"role {', '.join(granting)} may not be held in an agency of kind "
        f"{principal.agency_kind!r} under the access policy, so it grants nothing "
        f"(an administrator must correct the account)"
    )


def _token_blocks(principal: Principal, permission: Permission) -> bool:
    return principal.granted is not None and permission not in principal.granted


def visible(principal: Principal, permission: Permission, *, now: datetime) -> ColumnElement[bool]:
    """The SQL condition for the resources of ``permission``'s type that ``principal`` may
    act on with it at ``now`` (obligations such as a reason are asked for when acting, not
    listing)."""
    resource = INFO[permission].resource
    if resource is None:
        raise ValueError(f"{permission} is not checked against a resource")
    policy, _ = _policy()
    if _token_blocks(principal, permission):
        return false()
    rules = _rules(policy, principal, permission)
    allows = [
        conditions.sql_for(r.condition, resource, principal, now)
        for r in rules
        if r.effect == "allow"
    ]
    if not allows:
        return false()
    denies = [
        conditions.sql_for(r.condition, resource, principal, now)
        for r in rules
        if r.effect == "deny"
    ]
    allowed = or_(*allows)
    if not denies:
        return allowed
    # A condition may be NULL (``unit = :unit`` on a row without a unit); NOT NULL is NULL,
    # which would hide a row that decide() (NULL: does not hold) allows. Unknown is "no".
    return and_(allowed, not_(func.coalesce(or_(*denies), false())))


def decide(
    session: Session | None,
    principal: Principal,
    permission: Permission,
    resource_id: int | None = None,
    *,
    now: datetime,
    reason: Reason | str | None = None,
    scope_permission: Permission | None = None,
) -> Decision:
    """Decide one request at ``now``. For a resource-checked permission, ``resource_id``
    names the resource and ``session`` reads it; ``scope_permission`` (default: the list
    permission of its type) says whether the resource is in scope at all (404) or refused
    (403). The conditions are those :func:`visible` filters a list by, at the same ``now``."""
    policy, sha = _policy()
    if isinstance(reason, str):
        reason = Reason.parse(reason, policy)

    def decision(allowed: bool, rule: str, why: str, **extra: Any) -> Decision:
        return Decision(
            allowed,
            rule,
            why,
            permission,
            policy_version=policy.version,
            policy_sha256=sha,
            **extra,
        )

    resource = INFO[permission].resource
    if _token_blocks(principal, permission):
        return decision(False, TOKEN_SCOPE, f"this token was not given {permission}")
    rules = _rules(policy, principal, permission)

    holds: dict[str, bool] = {}
    in_scope = True
    if resource is not None:
        if resource_id is None or session is None:
            raise ValueError(f"{permission} needs a resource to decide on")
        table = conditions.resource_table(resource)
        scope = scope_permission or Permission(
            f"{resource}:list" if resource == "recording" else f"{resource}:view"
        )
        columns = [
            conditions.sql_for(r.condition, resource, principal, now).label(f"r{i}")
            for i, r in enumerate(rules)
        ]
        columns.append(visible(principal, scope, now=now).label("in_scope"))
        row = session.execute(select(*columns).where(table.id_column == resource_id)).one_or_none()
        if row is None:
            return decision(False, DEFAULT_DENY, "no such resource", in_scope=False, exists=False)
        mapping = row._mapping
        holds = {r.id: bool(mapping[f"r{i}"]) for i, r in enumerate(rules)}
        in_scope = bool(mapping["in_scope"])
    else:
        holds = {r.id: r.condition == "always" for r in rules}

    for rule in rules:
        if rule.effect == "deny" and holds[rule.id]:
            return decision(False, rule.id, rule.explanation, in_scope=in_scope)
    grant = next((r for r in rules if r.effect == "allow" and holds[r.id]), None)
    if grant is None:
        ignored = ignored_role_refusal(principal, permission, policy)
        if ignored is not None:
            return decision(False, ROLE_AGENCY_KIND, ignored, in_scope=in_scope)
        return decision(False, DEFAULT_DENY, f"no rule grants {permission} here", in_scope=in_scope)
    needs: dict[str, Rule] = dict.fromkeys(grant.needs, grant)
    for rule in rules:
        if rule.effect == "require" and holds[rule.id]:
            for need in rule.needs:
                needs.setdefault(need, rule)
    obligations = tuple(sorted(needs))
    if "purpose" in needs and (reason is None or not reason.is_purpose(policy)):
        rule = needs["purpose"]
        purposes = ", ".join(r.id for r in policy.reasons if r.purpose)
        return decision(
            False,
            rule.id,
            f"{rule.explanation} Give a purpose ({purposes}) with the case or complaint number.",
            obligations=obligations,
            in_scope=in_scope,
        )
    if "reason" in needs and (reason is None or not str(reason)):
        rule = needs["reason"]
        return decision(
            False,
            rule.id,
            f"{rule.explanation} A reason is required.",
            obligations=obligations,
            in_scope=in_scope,
        )
    return decision(True, grant.id, grant.explanation, obligations=obligations, in_scope=in_scope)


def can(
    session: Session | None,
    principal: Principal,
    permission: Permission,
    resource_id: int | None = None,
    *,
    now: datetime,
    reason: Reason | str | None = None,
) -> bool:
    return decide(session, principal, permission, resource_id, now=now, reason=reason).allowed


def may_ever(principal: Principal, permission: Permission) -> bool:
    """The coarse gate a route applies before loading anything: does some rule grant
    ``permission`` to this principal on some resource? The resource check follows."""
    if _token_blocks(principal, permission):
        return False
    policy, _ = _policy()
    return any(r.effect == "allow" for r in _rules(policy, principal, permission))
