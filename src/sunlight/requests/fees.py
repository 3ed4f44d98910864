"""Fees for records requests (RSMo 610.026), from the published fees file.

Missouri lets a public body charge for search, copying, and (for records that need it)
the time spent reviewing them, at the rate of the lowest-paid employee able to do the
work. The department's rates are data: the packaged ``fees.yaml``, or the file
``SUNLIGHT_FEES`` names, loaded through the one policy loader (an invalid file stops
start-up) and published on ``/public/policies``. Every estimate carries the SHA-256 of the
file it was worked out from.

Clock behaviour: sending an estimate or asking for prepayment does **not** stop the
three-business-day clock (acting on a request includes telling the requester the cost);
a request whose prepayment is outstanding cannot be marked fulfilled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sunlight.config import ConfigError
from sunlight.errors import InvalidInput
from sunlight.policyfile import LoadedPolicyFile, load_policy_file, policy_path

PACKAGED = Path(__file__).with_name("fees.yaml")
ENV_VAR = "SUNLIGHT_FEES"
#: The most hours one estimate may count (a bound on input, not a rate).
MAX_HOURS = 1000
MAX_RECORDINGS = 100_000
#: No rate or threshold above this (US$100,000): a typo, not a fee.
_MAX_CENTS = 10_000_000


class FeesFileError(ConfigError):
    """The fees file is missing or invalid."""


class FeesPolicy(BaseModel):
    """The published rates, in US cents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    basis: str = Field(min_length=1, max_length=300)
    search_cents_per_hour: int = Field(ge=0, le=_MAX_CENTS)
    review_cents_per_hour: int = Field(ge=0, le=_MAX_CENTS)
    copy_cents_per_recording: int = Field(ge=0, le=_MAX_CENTS)
    waive_below_cents: int = Field(ge=0, le=_MAX_CENTS)
    prepay_above_cents: int = Field(ge=0, le=_MAX_CENTS)

    @model_validator(mode="after")
    def _consistent(self) -> FeesPolicy:
        if self.prepay_above_cents < self.waive_below_cents:
            raise ValueError(
                f"prepay_above_cents ({self.prepay_above_cents}) is below waive_below_cents "
                f"({self.waive_below_cents}): prepayment could be asked for a waived fee"
            )
        return self


LoadedFees = LoadedPolicyFile[FeesPolicy]


def load_fees(path: Path | None = None) -> LoadedFees:
    """The fees file in force (``path``, else ``SUNLIGHT_FEES``, else packaged), validated."""
    return load_policy_file(
        FeesPolicy, path or policy_path(PACKAGED, ENV_VAR), what="fees file", error=FeesFileError
    )


@dataclass(frozen=True)
class Estimate:
    search_hours: float
    review_hours: float
    recordings: int
    search_cents: int
    review_cents: int
    copy_cents: int
    total_cents: int
    waived: bool
    rates: dict[str, int]
    policy_version: int
    policy_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "search_hours": self.search_hours,
            "review_hours": self.review_hours,
            "recordings": self.recordings,
            "search_cents": self.search_cents,
            "review_cents": self.review_cents,
            "copy_cents": self.copy_cents,
            "total_cents": self.total_cents,
            "waived": self.waived,
            "rates": dict(self.rates),
            "policy_version": self.policy_version,
            "policy_sha256": self.policy_sha256,
        }


def rates(policy: FeesPolicy) -> dict[str, int]:
    return {
        "search_cents_per_hour": policy.search_cents_per_hour,
        "review_cents_per_hour": policy.review_cents_per_hour,
        "copy_cents_per_recording": policy.copy_cents_per_recording,
        "waive_below_cents": policy.waive_below_cents,
        "prepay_above_cents": policy.prepay_above_cents,
    }


def estimate(
    search_hours: float, review_hours: float, recordings: int, *, fees: LoadedFees
) -> Estimate:
    """The fee for this work at the rates of ``fees`` (the loaded file)."""
    for name, hours in (("search_hours", search_hours), ("review_hours", review_hours)):
        if not 0 <= hours <= MAX_HOURS:
            raise InvalidInput(f"{name} must be between 0 and {MAX_HOURS}")
    if not 0 <= recordings <= MAX_RECORDINGS:
        raise InvalidInput(f"recordings must be between 0 and {MAX_RECORDINGS}")
    policy = fees.policy
    search = round(search_hours * policy.search_cents_per_hour)
    review = round(review_hours * policy.review_cents_per_hour)
    copy = recordings * policy.copy_cents_per_recording
    total = search + review + copy
    waived = total < policy.waive_below_cents
    return Estimate(
        search_hours=search_hours,
        review_hours=review_hours,
        recordings=recordings,
        search_cents=search,
        review_cents=review,
        copy_cents=copy,
        total_cents=0 if waived else total,
        waived=waived,
        rates=rates(policy),
        policy_version=policy.version,
        policy_sha256=fees.sha256,
    )


def dollars(cents: int | None) -> str:
    return "" if cents is None else f"${cents // 100}.{cents % 100:02d}"
