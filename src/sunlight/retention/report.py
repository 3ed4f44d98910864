"""What one retention run did, or in a dry run would do."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


@dataclass
class RunReport:
    as_of: date
    dry_run: bool
    policy_version: int
    policy_sha256: str
    grace_period_days: int
    to_schedule: list[dict[str, Any]] = field(default_factory=list)
    to_delete: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    locked: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kept: int = 0
    #: recordings a domain keeps whatever the schedule says (released, requested), and why
    kept_by: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["as_of"] = self.as_of.isoformat()
        doc["counts"] = {
            "to_schedule": len(self.to_schedule),
            "to_delete": len(self.to_delete),
            "blocked": len(self.blocked),
            "cancelled": len(self.cancelled),
            "pending": len(self.pending),
            "kept": self.kept,
            "kept_by": len(self.kept_by),
        }
        return doc
