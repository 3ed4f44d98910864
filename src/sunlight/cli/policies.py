"""The published policies in force, as ``serve`` records them when they change."""

from __future__ import annotations

from sunlight.access.policy import load_access_policy
from sunlight.compliance.policy import load_policy_file_info as load_compliance_policy
from sunlight.evidence.policies import PolicyInForce
from sunlight.release.policy import load_release_policy
from sunlight.requests.calendar import load_holidays
from sunlight.requests.fees import load_fees
from sunlight.retention.policy import load_policy as load_retention_policy


def policies_in_force() -> list[PolicyInForce]:
    access = load_access_policy()
    retention = load_retention_policy()
    compliance = load_compliance_policy()
    release = load_release_policy()
    holidays = load_holidays()
    fees = load_fees()
    return [
        PolicyInForce("access", access.policy.version, access.sha256),
        PolicyInForce("retention", str(retention.policy.version), retention.sha256),
        PolicyInForce("compliance", str(compliance.policy.version), compliance.sha256),
        PolicyInForce("release", str(release.policy.version), release.sha256),
        PolicyInForce("holidays", str(holidays.policy.version), holidays.sha256),
        PolicyInForce("fees", str(fees.policy.version), fees.sha256),
    ]
