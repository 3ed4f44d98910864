"""The incidents domain's vocabulary: incident types, investigation states and their
statutory reasons, and the custodians."""

from __future__ import annotations

from datetime import timedelta

from sunlight.evidence.service import InvalidChange

DEPARTMENT = "Kansas City Police Department"
DEFAULT_AGENCY = "Missouri Highway Patrol"

# type -> label. Retention maps these types to categories in retention/policy.yaml.
INCIDENT_TYPES: dict[str, str] = {
    "officer-involved-shooting": "Officer-involved shooting",
    "homicide": "Homicide",
    "use-of-force": "Use of force (Response to Resistance)",
    "first-amendment-assembly": "First Amendment assembly",
    "arrest": "Arrest",
    "traffic-stop": "Traffic stop",
    "call-for-service": "Call for service",
    "other": "Other evidentiary",
    "non-evidentiary": "Non-evidentiary",
}

# RSMo 610.100 §1(3): when an investigation becomes inactive.
INACTIVE_REASONS: dict[str, str] = {
    "not-pursued": "decision not to pursue (RSMo 610.100 §1(3))",
    "limitations": "limitations period expired or 10 years passed (RSMo 610.100 §1(3))",
    "convictions-final": "all convictions final (RSMo 610.100 §1(3))",
}
STATUSES = ("none", "active", "inactive")
TEN_YEARS = 3652  # days; "10 years pass" is counted from the incident's start
SUGGESTION_SLACK = timedelta(minutes=10)


def need_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise InvalidChange(f"{what} needs a reason")
    return reason.strip()
