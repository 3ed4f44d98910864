"""The one permission vocabulary. Every route declares exactly one of these (or says it is
public); the published access policy grants them to roles under conditions.

Each permission knows the kind of resource it is checked against (``recording``,
``incident`` or none), whether it needs a fresh re-authentication (step-up), and whether an
API token may hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

ResourceType = Literal["recording", "incident"]


class Permission(StrEnum):
    # kept sorted, named resource:action
    AGENCY_MANAGE = "agency:manage"
    AGENCY_VIEW = "agency:view"
    AUDIT_VIEW = "audit:view"
    CAPTION_APPROVE = "caption:approve"
    CAPTION_EDIT = "caption:edit"
    CAPTION_VIEW = "caption:view"
    COMPLAINT_MANAGE = "complaint:manage"
    COMPLAINT_VIEW = "complaint:view"
    COMPLIANCE_PUBLIC = "compliance:public"
    COMPLIANCE_REVIEW = "compliance:review"
    COMPLIANCE_VIEW = "compliance:view"
    CUSTODY_VIEW = "custody:view"
    DEVICE_MANAGE = "device:manage"
    DEVICE_VIEW = "device:view"
    INCIDENT_ASSIGN = "incident:assign"
    INCIDENT_IMPORT = "incident:import"
    INCIDENT_LINK = "incident:link"
    INCIDENT_MANAGE = "incident:manage"
    INCIDENT_STATEMENT = "incident:statement"
    INCIDENT_STATUS = "incident:status"
    INCIDENT_VIEW = "incident:view"
    OFFICER_MANAGE = "officer:manage"
    OFFICER_VIEW = "officer:view"
    POLICY_MODERATE = "policy:moderate"
    POLICY_PROPOSE = "policy:propose"
    POLICY_VIEW = "policy:view"
    RECORDING_DOWNLOAD = "recording:download"
    RECORDING_EDIT = "recording:edit"
    RECORDING_FLAG = "recording:flag"
    RECORDING_LIST = "recording:list"
    RECORDING_STREAM = "recording:stream"
    RECORDING_UPLOAD = "recording:upload"
    RECORDING_VIEW = "recording:view"
    REDACTION_EDIT = "redaction:edit"
    REDACTION_RENDER = "redaction:render"
    REDACTION_VIEW = "redaction:view"
    RELEASE_COURT = "release:court"
    RELEASE_COURT_CONFIRM = "release:court-confirm"
    RELEASE_DECIDE = "release:decide"
    RELEASE_PREPARE = "release:prepare"
    RELEASE_REVIEW = "release:review"
    RELEASE_VIEW = "release:view"
    REQUEST_MANAGE = "request:manage"
    REQUEST_VERIFY = "request:verify"
    REQUEST_VIEW = "request:view"
    RETENTION_HOLD = "retention:hold"
    RETENTION_RUN = "retention:run"
    RETENTION_UNDO = "retention:undo"
    RETENTION_VIEW = "retention:view"
    SHARE_CREATE = "share:create"
    SHARE_REVOKE = "share:revoke"
    SHARE_VIEW = "share:view"
    TOKEN_MANAGE = "token:manage"  # noqa: S105 - a permission name
    USER_MANAGE = "user:manage"
    USER_VIEW = "user:view"


@dataclass(frozen=True)
class PermissionInfo:
    description: str
    resource: ResourceType | None = None
    #: needs the user to have proved who they are again within the last few minutes
    step_up: bool = False
    #: may be granted to an API token (docks, integrations)
    token_ok: bool = False


_P = Permission
INFO: dict[Permission, PermissionInfo] = {
    _P.AGENCY_MANAGE: PermissionInfo("Create agencies and units", step_up=True),
    _P.AGENCY_VIEW: PermissionInfo("List agencies", token_ok=True),
    _P.AUDIT_VIEW: PermissionInfo("Read access history, denied attempts and custody reports"),
    _P.CAPTION_APPROVE: PermissionInfo(
        "Approve a recording's captions and transcript for release", resource="recording"
    ),
    _P.CAPTION_EDIT: PermissionInfo(
        "Write, import or draft from speech a recording's captions", resource="recording"
    ),
    _P.CAPTION_VIEW: PermissionInfo("Read a recording's captions and drafts", resource="recording"),
    _P.COMPLAINT_MANAGE: PermissionInfo("Record misconduct complaints and who handles them"),
    _P.COMPLAINT_VIEW: PermissionInfo("List complaints"),
    _P.COMPLIANCE_PUBLIC: PermissionInfo("Read the publishable compliance figures", token_ok=True),
    _P.COMPLIANCE_REVIEW: PermissionInfo("Draw and answer supervisory reviews"),
    _P.COMPLIANCE_VIEW: PermissionInfo("Read camera activation compliance", token_ok=True),
    _P.CUSTODY_VIEW: PermissionInfo("Read a recording's custody events", resource="recording"),
    _P.DEVICE_MANAGE: PermissionInfo("Register cameras, docks and assignments", token_ok=True),
    _P.DEVICE_VIEW: PermissionInfo("List cameras and docks", token_ok=True),
    _P.INCIDENT_ASSIGN: PermissionInfo(
        "Hand an incident to an outside agency, or return it", resource="incident", step_up=True
    ),
    _P.INCIDENT_IMPORT: PermissionInfo("Import CAD and use-of-force files", token_ok=True),
    _P.INCIDENT_LINK: PermissionInfo("Link and unlink recordings", resource="incident"),
    _P.INCIDENT_MANAGE: PermissionInfo("Create incidents"),
    _P.INCIDENT_STATEMENT: PermissionInfo(
        "Record that an involved officer gave the initial statement", resource="incident"
    ),
    _P.INCIDENT_STATUS: PermissionInfo("Set investigation status", resource="incident"),
    _P.INCIDENT_VIEW: PermissionInfo("See an incident", resource="incident"),
    _P.OFFICER_MANAGE: PermissionInfo("Add officers", token_ok=True),
    _P.OFFICER_VIEW: PermissionInfo("List officers", token_ok=True),
    _P.POLICY_MODERATE: PermissionInfo(
        "Moderate public comments on proposed policy versions and record the decision"
    ),
    _P.POLICY_PROPOSE: PermissionInfo("Propose a new version of a published policy"),
    _P.POLICY_VIEW: PermissionInfo("Read the access policy and explain a decision"),
    _P.RECORDING_DOWNLOAD: PermissionInfo("Download an original", resource="recording"),
    _P.RECORDING_EDIT: PermissionInfo("Edit a recording's metadata", resource="recording"),
    _P.RECORDING_FLAG: PermissionInfo("Flag a recording", resource="recording"),
    _P.RECORDING_LIST: PermissionInfo(
        "See that a recording exists, in lists", resource="recording"
    ),
    _P.RECORDING_STREAM: PermissionInfo("Play a recording", resource="recording"),
    _P.RECORDING_UPLOAD: PermissionInfo("Upload recordings", token_ok=True),
    _P.RECORDING_VIEW: PermissionInfo("Open a recording's page and metadata", resource="recording"),
    _P.REDACTION_EDIT: PermissionInfo("Edit redaction plans", resource="recording"),
    _P.REDACTION_RENDER: PermissionInfo("Render a redacted copy"),
    _P.REDACTION_VIEW: PermissionInfo("See redaction plans and jobs", resource="recording"),
    _P.RELEASE_COURT: PermissionInfo(
        "Record court petitions to release closed footage, and the court's orders",
        resource="incident",
    ),
    _P.RELEASE_COURT_CONFIRM: PermissionInfo(
        "Confirm a court order another person recorded (two-person rule): only a confirmed"
        " order releases anything",
        resource="incident",
        step_up=True,
    ),
    _P.RELEASE_DECIDE: PermissionInfo(
        "Decide on release: release, withhold or set an embargo (the agency holding release"
        " authority)",
        resource="incident",
        step_up=True,
    ),
    _P.RELEASE_PREPARE: PermissionInfo(
        "Prepare a release: choose redacted candidates, hand them to the release authority",
        resource="incident",
    ),
    _P.RELEASE_REVIEW: PermissionInfo(
        "Sign off a redacted copy's plan version as reviewed for release", resource="incident"
    ),
    _P.RELEASE_VIEW: PermissionInfo(
        "See an incident's release case and clocks", resource="incident"
    ),
    _P.REQUEST_MANAGE: PermissionInfo(
        "Work records requests: acknowledge, match footage, delay, fulfil, deny, set fees"
    ),
    _P.REQUEST_VERIFY: PermissionInfo(
        "Verify a depicted person's identity and relationship and give them an unaltered copy",
        step_up=True,
    ),
    _P.REQUEST_VIEW: PermissionInfo("See records requests, their clocks and the staff queue"),
    _P.RETENTION_HOLD: PermissionInfo("Place and release legal holds"),
    _P.RETENTION_RUN: PermissionInfo("Run the retention schedule", step_up=True),
    _P.RETENTION_UNDO: PermissionInfo("Undo a scheduled deletion", step_up=True),
    _P.RETENTION_VIEW: PermissionInfo("Read the retention report and holds"),
    _P.SHARE_CREATE: PermissionInfo("Share a recording", resource="recording"),
    _P.SHARE_REVOKE: PermissionInfo("Revoke a share"),
    _P.SHARE_VIEW: PermissionInfo("List shares"),
    _P.TOKEN_MANAGE: PermissionInfo("Create and revoke API tokens", step_up=True),
    _P.USER_MANAGE: PermissionInfo(
        "Create users, change roles, disable, reset MFA, end sessions", step_up=True
    ),
    _P.USER_VIEW: PermissionInfo("List users and their roles"),
}

#: What ``sunlight tokens create`` grants when no ``--permission`` is given.
DEFAULT_TOKEN_PERMISSIONS = (Permission.RECORDING_UPLOAD,)


def info(permission: Permission) -> PermissionInfo:
    return INFO[permission]


def matching(pattern: str) -> list[Permission]:
    """Permissions named by a policy pattern: ``recording:view``, ``recording:*`` or ``*``."""
    if pattern == "*":
        return list(Permission)
    if pattern.endswith(":*"):
        prefix = pattern[:-1]
        return [p for p in Permission if p.value.startswith(prefix)]
    return [p for p in Permission if p.value == pattern]
