"""Compliance settings (a published YAML file with a schema, validated when loaded)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sunlight.config import ConfigError
from sunlight.incidents.service import INCIDENT_TYPES
from sunlight.policyfile import LoadedPolicyFile, load_policy_file, policy_path

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


def load_policy_file_info() -> LoadedPolicyFile[CompliancePolicy]:
    """The loaded file with its path, SHA-256 and text."""
    return load_policy_file(
        CompliancePolicy,
        policy_path(PACKAGED, ENV_VAR),
        what="compliance policy",
        error=CompliancePolicyError,
    )


def load_policy() -> CompliancePolicy:
    return load_policy_file_info().policy
