"""The published retention policy: a YAML file with a schema, validated at start-up.

The packaged ``policy.yaml`` is the default; ``SUNLIGHT_RETENTION_POLICY`` names another
file. A policy that does not validate stops Sunlight from starting, with the reason.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sunlight.config import ConfigError
from sunlight.incidents.service import INCIDENT_TYPES
from sunlight.policyfile import LoadedPolicyFile, load_policy_file, policy_path

PACKAGED = Path(__file__).with_name("policy.yaml")
ENV_VAR = "SUNLIGHT_RETENTION_POLICY"


class PolicyError(ConfigError):
    """The retention policy file is missing or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeepDays(_Strict):
    days: int = Field(ge=1, description="Days after the recording was made.")


class KeepAfterClose(_Strict):
    days_after_case_closed: int = Field(
        ge=0, description="Days after the investigation became inactive (the case closed)."
    )


class Category(_Strict):
    name: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    label: str
    keep: Literal["indefinitely"] | KeepDays | KeepAfterClose
    incident_types: list[str]
    #: keepers (registered by domains, see ``retention.keepers``) whose recordings this
    #: category keeps: footage released or requested is never deleted
    keepers: list[str] = Field(default_factory=list)
    basis: str = ""

    @property
    def keep_text(self) -> str:
        if isinstance(self.keep, KeepDays):
            return f"{self.keep.days} days after recording"
        if isinstance(self.keep, KeepAfterClose):
            return f"until the case closes plus {self.keep.days_after_case_closed} days"
        return "indefinitely"


class ObjectLock(_Strict):
    enabled: bool = False
    days: int = Field(default=365, ge=1)


class RetentionPolicy(_Strict):
    version: int = Field(ge=1)
    effective: date
    title: str
    department: str = ""
    grace_period_days: int = Field(ge=1)
    unclaimed_category: str
    object_lock: ObjectLock = ObjectLock()
    categories: list[Category] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RetentionPolicy:
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ValueError("category names must be unique")
        if self.unclaimed_category not in names:
            raise ValueError(f"unclaimed_category {self.unclaimed_category!r} is not a category")
        seen: dict[str, str] = {}
        for category in self.categories:
            for kind in category.incident_types:
                if kind not in INCIDENT_TYPES:
                    raise ValueError(f"{category.name}: unknown incident type {kind!r}")
                if kind in seen:
                    raise ValueError(
                        f"incident type {kind!r} is in both {seen[kind]} and {category.name}"
                    )
                seen[kind] = category.name
        keepers: dict[str, str] = {}
        for category in self.categories:
            for keeper in category.keepers:
                if keeper in keepers:
                    raise ValueError(
                        f"keeper {keeper!r} is in both {keepers[keeper]} and {category.name}"
                    )
                keepers[keeper] = category.name
        missing = sorted(set(INCIDENT_TYPES) - set(seen))
        if missing:
            raise ValueError(f"incident types without a retention category: {missing}")
        return self

    def category(self, name: str) -> Category:
        return next(c for c in self.categories if c.name == name)

    def category_for_keeper(self, keeper: str) -> Category | None:
        return next((c for c in self.categories if keeper in c.keepers), None)

    def category_for_type(self, incident_type: str) -> Category:
        for category in self.categories:
            if incident_type in category.incident_types:
                return category
        return self.category(self.unclaimed_category)


#: The loaded file: ``policy``, ``path``, ``sha256`` and ``text`` (one loader for all policies).
LoadedPolicy = LoadedPolicyFile[RetentionPolicy]


def load_policy(path: Path | None = None) -> LoadedPolicy:
    return load_policy_file(
        RetentionPolicy,
        path or policy_path(PACKAGED, ENV_VAR),
        what="retention policy",
        error=PolicyError,
    )
