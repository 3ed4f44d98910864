"""Compliance settings (a published YAML file with a schema, validated when loaded)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sunlight.config import ConfigError
from sunlight.incidents.service import INCIDENT_TYPES

PACKAGED = Path(__file__).with_name("policy.yaml")
ENV_VAR = "SUNLIGHT_COMPLIANCE_POLICY"


class CompliancePolicyError(ConfigError):
    """The compliance settings file is missing or invalid."""


class CompliancePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    late_upload_after_hours: int = Field(ge=1)
    footage_expected_types: list[str]
    review_sample_per_unit: int = Field(ge=1, le=100)

    @field_validator("footage_expected_types")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(INCIDENT_TYPES))
        if unknown:
            raise ValueError(f"unknown incident types {unknown}")
        return value


@cache
def _load(path: str, mtime_ns: int) -> CompliancePolicy:
    try:
        return CompliancePolicy.model_validate(yaml.safe_load(Path(path).read_bytes()))
    except (yaml.YAMLError, ValidationError) as exc:
        raise CompliancePolicyError(f"compliance policy {path} is invalid:\n{exc}") from exc


def load_policy() -> CompliancePolicy:
    path = Path(os.environ.get(ENV_VAR) or PACKAGED)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise CompliancePolicyError(f"cannot read compliance policy {path}: {exc}") from exc
    return _load(str(path), mtime)
