"""The published access policy: who may do what, under which condition, and why.

``access/policy.yaml`` is the default; ``SUNLIGHT_ACCESS_POLICY`` names another file. It is
validated at start-up against the permission enum, the role list and the registered
conditions: an unknown permission, role or condition stops Sunlight from starting, and every
permission must be granted by some rule or listed as deliberately unused. Default deny.

Every role names the kinds of agency it may be held in (``agency_kinds``: the department's
own roles only in the department, ``outside-investigator`` only in an investigating agency,
...). Granting a role to someone of another kind of agency is refused
(``sunlight.access.users``), and a principal holding one anyway (a row edited in the table, a
policy narrowed since the grant) gets nothing from it when decisions are made
(``sunlight.access.decide``).

Rules have one of three effects, evaluated in this order:

1. ``deny``: refuses outright when its condition holds (``unless_roles`` are exempt);
2. ``allow``: the first allow rule whose roles, permission and condition match grants, with
   what it ``needs`` (a reason; a purpose tied to a criminal investigation or complaint);
3. ``require``: adds what it ``needs`` to a granted decision when its condition holds.

No rule matching is a denial by ``default-deny``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sunlight.access import conditions
from sunlight.access.models import AgencyKind
from sunlight.access.permissions import INFO, Permission, matching
from sunlight.config import ConfigError
from sunlight.policyfile import LoadedPolicyFile, load_policy_file, policy_path

PACKAGED = Path(__file__).with_name("policy.yaml")
ENV_VAR = "SUNLIGHT_ACCESS_POLICY"

Need = Literal["reason", "purpose"]


class AccessPolicyError(ConfigError):
    """The access policy file is missing or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleDef(_Strict):
    label: str
    description: str
    #: the kinds of agency (``sunlight.access.models.AGENCY_KINDS``) whose people, tokens or
    #: jobs may hold this role. Required, so that a policy author decides it for every role;
    #: empty only for a role no agency's member holds (``share-recipient``: a link's visitor)
    agency_kinds: list[AgencyKind]
    #: a staff role: its users must use a second factor to sign in
    staff: bool = True

    @field_validator("agency_kinds")
    @classmethod
    def _no_repeats(cls, kinds: list[AgencyKind]) -> list[AgencyKind]:
        if len(set(kinds)) != len(kinds):
            raise ValueError("an agency kind is listed twice")
        return kinds

    @model_validator(mode="after")
    def _staff_held_somewhere(self) -> RoleDef:
        if self.staff and not self.agency_kinds:
            raise ValueError(
                "a staff role is held by people, who all belong to an agency: "
                "name the agency kinds it may be held in"
            )
        return self


class ReasonDef(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    label: str
    #: a purpose tied to a criminal investigation or a complaint (First Amendment footage)
    purpose: bool = False


class SessionRules(_Strict):
    idle_minutes: int = Field(default=30, ge=1, le=30)
    absolute_hours: int = Field(default=12, ge=1, le=24)
    reauth_minutes: int = Field(default=10, ge=1, le=60)
    lock_after_failures: int = Field(default=5, ge=1, le=10)
    lock_minutes: int = Field(default=30, ge=1)
    password_min_length: int = Field(default=12, ge=8, le=64)


class ShareRules(_Strict):
    max_days: int = Field(default=90, ge=1, le=730)
    default_days: int = Field(default=30, ge=1, le=730)


@cache
def _matching(pattern: str) -> tuple[Permission, ...]:
    """``matching``, remembered: every decision expands every rule's patterns."""
    return tuple(matching(pattern))


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]{1,60}$")
    effect: Literal["allow", "deny", "require"]
    roles: list[str] = Field(min_length=1)
    unless_roles: list[str] = Field(default_factory=list)
    permissions: list[str] = Field(min_length=1)
    condition: str = "always"
    needs: list[Need] = Field(default_factory=list)
    explanation: str
    basis: str = ""

    def expanded(self) -> list[Permission]:
        return [p for pattern in self.permissions for p in _matching(pattern)]

    def applies_to_roles(self, roles: frozenset[str]) -> bool:
        if roles & set(self.unless_roles):
            return False
        return "*" in self.roles or bool(roles & set(self.roles))


class AccessPolicy(_Strict):
    version: str
    effective: date
    title: str
    default: Literal["deny"]
    roles: dict[str, RoleDef]
    reasons: list[ReasonDef] = Field(min_length=1)
    session: SessionRules = SessionRules()
    shares: ShareRules = ShareRules()
    unused_permissions: list[Permission] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> AccessPolicy:
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")
        granted: set[Permission] = set()
        for rule in self.rules:
            for role in [*rule.roles, *rule.unless_roles]:
                if role != "*" and role not in self.roles:
                    raise ValueError(f"rule {rule.id}: unknown role {role!r}")
            for pattern in rule.permissions:
                if not matching(pattern):
                    raise ValueError(f"rule {rule.id}: unknown permission {pattern!r}")
            if rule.effect != "allow" and not rule.needs and rule.effect == "require":
                raise ValueError(f"rule {rule.id}: a require rule must say what it needs")
            if rule.effect == "allow":
                granted.update(rule.expanded())
        both = granted & set(self.unused_permissions)
        if both:
            raise ValueError(f"listed as unused but granted: {sorted(both)}")
        missing = set(Permission) - granted - set(self.unused_permissions)
        if missing:
            raise ValueError(
                f"permissions granted by no rule and not listed as unused: {sorted(missing)}"
            )
        return self

    def check_conditions(self) -> None:
        """Every rule's condition exists for every resource type its permissions check.
        Run once the domains have registered their conditions (``sunlight.models``)."""
        for rule in self.rules:
            if rule.condition != "always" and rule.condition not in conditions.CONDITIONS:
                raise ValueError(f"rule {rule.id}: unknown condition {rule.condition!r}")
            for permission in rule.expanded():
                resource = INFO[permission].resource
                if not conditions.supports(rule.condition, resource):
                    raise ValueError(
                        f"rule {rule.id}: condition {rule.condition!r} cannot be checked "
                        f"for {permission} (resource type {resource or 'none'})"
                    )

    def role_allowed(self, role: str, agency_kind: str | None) -> bool:
        """Whether ``role`` may be held in an agency of ``agency_kind``. A role the policy
        does not define is allowed nowhere. ``None`` is a principal that belongs to no agency
        (a share link, a job or a token not tied to one): only code gives those their roles,
        never a table row, so nothing is checked; every person belongs to an agency."""
        definition = self.roles.get(role)
        if definition is None:
            return False
        return agency_kind is None or agency_kind in definition.agency_kinds

    def roles_not_allowed(self, roles: Iterable[str], agency_kind: str | None) -> list[str]:
        """The ``roles`` that may not be held in an agency of ``agency_kind``, sorted."""
        return sorted({r for r in roles if not self.role_allowed(r, agency_kind)})

    def reason_def(self, reason_id: str) -> ReasonDef | None:
        return next((r for r in self.reasons if r.id == reason_id), None)


def load_access_policy(path: Path | None = None) -> LoadedPolicyFile[AccessPolicy]:
    loaded = load_policy_file(
        AccessPolicy,
        path or policy_path(PACKAGED, ENV_VAR),
        what="access policy",
        error=AccessPolicyError,
    )
    key = (loaded.path, loaded.sha256)
    if key in _CHECKED:  # checked once per file version: decide() loads it on every call
        return loaded
    try:
        loaded.policy.check_conditions()
    except ValueError as exc:
        raise AccessPolicyError(f"access policy {loaded.path} is invalid: {exc}") from exc
    _CHECKED.add(key)
    return loaded


#: Policy files (path, SHA-256) whose conditions were found registered (conditions are only
#: ever added, so a file that passed once keeps passing).
_CHECKED: set[tuple[str, str]] = set()
