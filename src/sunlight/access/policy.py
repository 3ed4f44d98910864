"""Permissions are named ``resource:action``; routes declare the one they need.

Accounts, roles across agencies and MFA arrive with the access-control work. Until then the
only actor is the local administrator, and ``can`` admits it to everything, so that adding
real rules changes this module and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Permission(StrEnum):
    RECORDING_LIST = "recording:list"
    RECORDING_VIEW = "recording:view"
    RECORDING_STREAM = "recording:stream"
    RECORDING_DOWNLOAD = "recording:download"
    RECORDING_UPLOAD = "recording:upload"
    RECORDING_EDIT = "recording:edit"
    RECORDING_FLAG = "recording:flag"
    CUSTODY_VIEW = "custody:view"
    OFFICER_VIEW = "officer:view"
    OFFICER_MANAGE = "officer:manage"
    DEVICE_VIEW = "device:view"
    DEVICE_MANAGE = "device:manage"
    INCIDENT_VIEW = "incident:view"
    INCIDENT_MANAGE = "incident:manage"
    INCIDENT_LINK = "incident:link"
    INCIDENT_ASSIGN = "incident:assign"
    INCIDENT_STATUS = "incident:status"
    INCIDENT_IMPORT = "incident:import"
    AGENCY_VIEW = "agency:view"
    AGENCY_MANAGE = "agency:manage"
    RETENTION_VIEW = "retention:view"
    RETENTION_HOLD = "retention:hold"
    RETENTION_RUN = "retention:run"
    RETENTION_UNDO = "retention:undo"
    COMPLIANCE_VIEW = "compliance:view"
    COMPLIANCE_PUBLIC = "compliance:public"
    COMPLIANCE_REVIEW = "compliance:review"
    REDACTION_VIEW = "redaction:view"
    REDACTION_EDIT = "redaction:edit"
    REDACTION_RENDER = "redaction:render"


@dataclass(frozen=True)
class Actor:
    id: str  # recorded in custody events, e.g. "admin:local", "user:1234"
    display_name: str
    roles: frozenset[str] = field(default_factory=frozenset)


LOCAL_ADMINISTRATOR = Actor("admin:local", "Local administrator", frozenset({"administrator"}))


def can(actor: Actor, permission: Permission, resource: object | None = None) -> bool:
    """The single policy decision point."""
    return "administrator" in actor.roles
