"""The published policies in force, as ``serve`` records them when they change."""

from __future__ import annotations

from sunlight.access.policy import load_access_policy
from sunlight.compliance.policy import load_policy_file_info as load_compliance_policy
from sunlight.evidence.policies import PolicyInForce
from sunlight.requests.calendar import load_holidays
from sunlight.retention.policy import load_policy as load_retention_policy


def policies_in_force() -> list[PolicyInForce]:
    access = load_access_policy()
    retention = load_retention_policy()
    compliance = load_compliance_policy()
    holidays = load_holidays()
    return [
        PolicyInForce("access", access.policy.version, access.sha256),
        PolicyInForce("retention", str(retention.policy.version), retention.sha256),
        PolicyInForce("compliance", str(compliance.policy.version), compliance.sha256),
        PolicyInForce("holidays", str(holidays.policy.version), holidays.sha256),
    ]
