"""The published release policy: a YAML file with a strict schema, validated at start-up.

The packaged ``policy.yaml`` is the default; ``SUNLIGHT_RELEASE_POLICY`` names another file.
A policy that does not validate (an unknown incident type, a type without a rule, a clock
out of range) stops Sunlight from starting, with the reason. Every release decision records
the rule id, the policy version and the file's SHA-256.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from sunlight.config import ConfigError
from sunlight.incidents.terms import INCIDENT_TYPES
from sunlight.policyfile import LoadedPolicyFile, load_policy_file, policy_path

PACKAGED = Path(__file__).with_name("policy.yaml")
ENV_VAR = "SUNLIGHT_RELEASE_POLICY"

Authority = Literal["department", "investigating-agency"]
Address = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
Opener = Literal["court-order", "depicted-person"]
OPENERS: tuple[Opener, ...] = ("court-order", "depicted-person")
Redaction = Literal[
    "faces", "license-plates", "screens", "muted-personal-information", "muted-ranges"
]


class ReleasePolicyError(ConfigError):
    """The release policy file is missing or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Extensions(_Strict):
    step_days: int = Field(default=30, ge=1, le=365)
    max_total_days: int = Field(default=365, ge=0, le=3650)


class Embargo(_Strict):
    warning_hours: int = Field(default=24, ge=1, le=24 * 30)
    notify: list[Address] = Field(default_factory=list, description="Staff addresses warned.")


class NonpublicLocations(_Strict):
    flag_kinds: list[str] = Field(min_length=1)
    closed_by_default: bool = True
    opened_by: list[Opener] = Field(default_factory=lambda: list(OPENERS))
    basis: str = "RSMo 610.100.2(3)"


class VulnerablePeople(_Strict):
    flag_kinds: list[str] = Field(min_length=1)
    excluded_by_default: bool = True
    basis: str = "Policy scorecard criterion 3 (personal privacy)"


class Handoff(_Strict):
    deliver_days: int = Field(
        ge=1, le=365, description="Days from the incident for the department to deliver."
    )
    decide_days: int = Field(
        ge=1, le=365, description="Days from delivery for the authority to decide."
    )


class ReleaseRule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    label: str
    incident_types: list[str] = Field(min_length=1)
    authority: Authority
    release_days: int = Field(ge=1, le=3650, description="Days counted from the incident.")
    handoff: Handoff
    default_redactions: list[Redaction] = Field(default_factory=list)
    basis: str = ""

    @property
    def authority_text(self) -> str:
        if self.authority == "department":
            return "the department's records custodian"
        return "the agency investigating the incident (the department until one is assigned)"


class ReleasePolicy(_Strict):
    version: int = Field(ge=1)
    effective: date
    title: str
    department: str
    extensions: Extensions = Extensions()
    embargo: Embargo = Embargo()
    nonpublic_locations: NonpublicLocations
    vulnerable_people: VulnerablePeople
    require_approved_captions: bool = Field(
        default=False,
        description="A release decision is refused unless every copy it releases has "
        "approved captions (English) that have not changed since approval.",
    )
    rules: list[ReleaseRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> ReleasePolicy:
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")
        seen: dict[str, str] = {}
        for rule in self.rules:
            for kind in rule.incident_types:
                if kind not in INCIDENT_TYPES:
                    raise ValueError(f"{rule.id}: unknown incident type {kind!r}")
                if kind in seen:
                    raise ValueError(
                        f"incident type {kind!r} is in both {seen[kind]} and {rule.id}"
                    )
                seen[kind] = rule.id
        missing = sorted(set(INCIDENT_TYPES) - set(seen))
        if missing:
            raise ValueError(f"incident types without a release rule: {missing}")
        if self.extensions.max_total_days and self.extensions.step_days > (
            self.extensions.max_total_days
        ):
            raise ValueError("an extension step is longer than the extension cap")
        return self

    def rule_for(self, incident_type: str) -> ReleaseRule:
        for rule in self.rules:
            if incident_type in rule.incident_types:
                return rule
        raise LookupError(f"no release rule for incident type {incident_type!r}")

    def agency_types(self) -> list[str]:
        """Incident types whose release authority is the investigating agency."""
        return sorted(
            kind
            for rule in self.rules
            if rule.authority == "investigating-agency"
            for kind in rule.incident_types
        )


#: The loaded file: ``policy``, ``path``, ``sha256`` and ``text``.
LoadedReleasePolicy = LoadedPolicyFile[ReleasePolicy]


def load_release_policy(path: Path | None = None) -> LoadedReleasePolicy:
    return load_policy_file(
        ReleasePolicy,
        path or policy_path(PACKAGED, ENV_VAR),
        what="release policy",
        error=ReleasePolicyError,
    )
