"""The published policy files this installation knows: each one's name, title, how to load
(and so validate) a file of that kind, and words for the public page.

A proposed version is checked with the same loader as the live file, so a proposal that
would stop Sunlight from starting is refused when it is proposed, not when it is adopted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sunlight.access.policy import load_access_policy
from sunlight.compliance import policy as compliance
from sunlight.config import ConfigError
from sunlight.errors import InvalidInput, NotFound
from sunlight.policyfile import LoadedPolicyFile, load_policy_file, policy_path
from sunlight.release.policy import load_release_policy
from sunlight.requests.calendar import load_holidays
from sunlight.requests.fees import load_fees
from sunlight.retention.policy import load_policy as load_retention_policy


def N_(text: str) -> str:
    """Marks a string for translation; the template translates it when it shows it."""
    return text


def _load_compliance(path: Path | None) -> LoadedPolicyFile[Any]:
    loaded: LoadedPolicyFile[Any] = load_policy_file(
        compliance.CompliancePolicy,
        path or policy_path(compliance.PACKAGED, compliance.ENV_VAR),
        what="compliance policy",
        error=compliance.CompliancePolicyError,
    )
    return loaded


@dataclass(frozen=True)
class PolicyKind:
    name: str
    title: str
    about: str
    load: Callable[[Path | None], LoadedPolicyFile[Any]]
    #: plain-language headings for the file's keys (others are made from the key itself)
    labels: dict[str, str] = field(default_factory=dict)


COMMON_LABELS = {
    "version": N_("Version"),
    "effective": N_("In effect from"),
    "title": N_("Title"),
    "department": N_("Department"),
    "basis": N_("Legal or policy basis"),
    "label": N_("Name"),
    "name": N_("Name"),
    "id": N_("Identifier"),
    "explanation": N_("What it means"),
    "description": N_("Description"),
    "incident_types": N_("Incident types"),
}

KINDS: dict[str, PolicyKind] = {
    kind.name: kind
    for kind in (
        PolicyKind(
            "retention",
            N_("Video retention schedule"),
            N_(
                "How long body-worn camera video is kept, by the kind of incident it shows,"
                " and when it may be deleted."
            ),
            lambda path: load_retention_policy(path),
            {
                "name": N_("Identifier"),
                "label": N_("Category"),
                "keepers": N_("Also kept when"),
                "grace_period_days": N_("Days a scheduled deletion waits (and can be undone)"),
                "unclaimed_category": N_("Category of video that no incident claims"),
                "object_lock": N_("Storage lock against deletion"),
                "enabled": N_("Turned on"),
                "days": N_("Days"),
                "categories": N_("How long each kind of video is kept"),
                "keep": N_("Kept for"),
                "days_after_case_closed": N_("Days after the case closes"),
            },
        ),
        PolicyKind(
            "release",
            N_("Release of video to the public"),
            N_(
                "When body-worn camera video of an incident is released to the public, who"
                " decides, and what is hidden before release."
            ),
            lambda path: load_release_policy(path),
            {
                "extensions": N_("Extending a release deadline"),
                "step_days": N_("Days in each extension"),
                "max_total_days": N_("Longest total extension (days)"),
                "embargo": N_("Embargoed releases"),
                "warning_hours": N_("Hours of warning before an embargo lifts"),
                "notify": N_("Who is warned"),
                "nonpublic_locations": N_("Video made in private places"),
                "vulnerable_people": N_("Video of vulnerable people"),
                "flag_kinds": N_("Marks that apply"),
                "closed_by_default": N_("Closed unless opened"),
                "excluded_by_default": N_("Left out of releases unless a court orders"),
                "opened_by": N_("Who can open it"),
                "rules": N_("Release rules by kind of incident"),
                "authority": N_("Who decides"),
                "release_days": N_("Days to release"),
                "handoff": N_("Hand-over to the deciding agency"),
                "deliver_days": N_("Days to deliver the video"),
                "decide_days": N_("Days to decide"),
                "default_redactions": N_("Hidden by default"),
            },
        ),
        PolicyKind(
            "access",
            N_("Who may see what (access policy)"),
            N_(
                "Which staff roles may see, play, download or share recordings and records,"
                " and under which conditions."
            ),
            lambda path: load_access_policy(path),
            {
                "default": N_("When no rule applies"),
                "roles": N_("Roles"),
                "staff": N_("Department staff"),
                "reasons": N_("Reasons staff must give"),
                "purpose": N_("Names a purpose"),
                "rules": N_("Rules"),
                "effect": N_("Effect"),
                "permissions": N_("What it allows"),
                "unless_roles": N_("Except for"),
                "condition": N_("Condition"),
                "needs": N_("Also needs"),
            },
        ),
        PolicyKind(
            "compliance",
            N_("Camera use and compliance"),
            N_("How the department checks that cameras are used and footage is uploaded."),
            _load_compliance,
            {
                "late_upload_after_hours": N_("Hours after which an upload is late"),
                "footage_expected_types": N_("Incidents where footage is expected"),
                "review_sample_per_unit": N_("Recordings reviewed per unit each month"),
            },
        ),
        PolicyKind(
            "holidays",
            N_("Business days for records requests"),
            N_(
                "The state-office closures that do not count as business days when the"
                " deadline to answer a records request is worked out."
            ),
            lambda path: load_holidays(path),
            {
                "timezone": N_("Time zone"),
                "closures": N_("Closures"),
                "date": N_("Date"),
                "observed_for": N_("Holiday kept for"),
                "source": N_("Source"),
                "covers": N_("Years covered"),
            },
        ),
        PolicyKind(
            "fees",
            N_("Fees for records requests"),
            N_(
                "What the department charges to search for, review and copy records asked"
                " for under the Sunshine Law, and when the fee is waived or paid in advance."
                " Amounts are in US cents."
            ),
            lambda path: load_fees(path),
            {
                "search_cents_per_hour": N_("Search, per hour (US cents)"),
                "review_cents_per_hour": N_("Review for closed material, per hour (US cents)"),
                "copy_cents_per_recording": N_("Copying, per recording (US cents)"),
                "waive_below_cents": N_("Waived below (US cents)"),
                "prepay_above_cents": N_("Payment in advance may be asked above (US cents)"),
            },
        ),
    )
}


def kind(name: str) -> PolicyKind:
    found = KINDS.get(name)
    if found is None:
        raise NotFound(f"no published policy named {name!r}", diagnostics={"name": name})
    return found


@dataclass(frozen=True)
class CheckedFile:
    name: str
    version: str
    sha256: str
    text: str
    effective: dt.date | None


def _effective(policy: Any) -> dt.date | None:
    value = getattr(policy, "effective", None)
    return value if isinstance(value, dt.date) else None


def check_file(name: str, path: Path) -> CheckedFile:
    """Validate ``path`` as policy ``name`` with the live loader's strict schema."""
    policy_kind = kind(name)
    try:
        loaded = policy_kind.load(path)
    except ConfigError as exc:
        raise InvalidInput(str(exc), diagnostics={"name": name}) from exc
    return CheckedFile(
        name,
        str(getattr(loaded.policy, "version", "")),
        loaded.sha256,
        loaded.text,
        _effective(loaded.policy),
    )


def in_force() -> list[CheckedFile]:
    """Every policy file in force now (as configured), loaded and validated."""
    found = []
    for policy_kind in KINDS.values():
        loaded = policy_kind.load(None)
        found.append(
            CheckedFile(
                policy_kind.name,
                str(getattr(loaded.policy, "version", "")),
                loaded.sha256,
                loaded.text,
                _effective(loaded.policy),
            )
        )
    return found
