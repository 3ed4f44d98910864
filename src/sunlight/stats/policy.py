"""The stats policy file: the small-number threshold and the fewest officers a row may
describe. Strict schema, loaded through :mod:`sunlight.policyfile` (one loader)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from sunlight.policyfile import LoadedPolicyFile, load_policy_file, policy_path

PACKAGED = Path(__file__).with_name("policy.yaml")
ENV_VAR = "SUNLIGHT_STATS_POLICY"


class StatsPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    #: counts in 1 .. threshold-1 are suppressed; so are medians and rates over fewer items
    small_cell_threshold: int = Field(ge=2, le=100)
    #: the camera-activation figure never has a row about fewer officers than this
    min_officers_per_row: int = Field(default=2, ge=2, le=100)


def load_stats_policy(path: Path | None = None) -> LoadedPolicyFile[StatsPolicy]:
    """The stats policy in force: ``path``, else ``SUNLIGHT_STATS_POLICY``, else packaged."""
    return load_policy_file(
        StatsPolicy, path or policy_path(PACKAGED, ENV_VAR), what="stats policy"
    )
