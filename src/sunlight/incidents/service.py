"""Incidents: create, find, link recordings, hand custody to outside agencies, and track
the investigation status that RSMo 610.100 makes decisive for release.

The work is split by job into ``records`` (incidents themselves), ``links`` (recordings of
an incident), ``agencies`` (outside custody), ``investigation`` (the status state machine)
and ``terms`` (the vocabulary); this module keeps every public name importable from one
place. Every change is a custody event written through ``custody.record`` in the caller's
transaction.
"""

from __future__ import annotations

from sunlight.incidents.agencies import (
    assign_to_agency,
    create_agency,
    custody_history,
    default_agency,
    list_agencies,
    return_custody,
)
from sunlight.incidents.investigation import (
    InvalidTransition,
    Transition,
    allowed_transitions,
    set_investigation_status,
)
from sunlight.incidents.links import (
    custodian_of,
    incidents_for_recording,
    link_recording,
    suggestions,
    unlink_recording,
)
from sunlight.incidents.records import (
    add_officers,
    change_type,
    create_incident,
    get_incident,
    incident_summary,
    list_incidents,
)
from sunlight.incidents.terms import (
    DEFAULT_AGENCY,
    DEPARTMENT,
    INACTIVE_REASONS,
    INCIDENT_TYPES,
    STATUSES,
    SUGGESTION_SLACK,
    TEN_YEARS,
)

__all__ = [
    "DEFAULT_AGENCY",
    "DEPARTMENT",
    "INACTIVE_REASONS",
    "INCIDENT_TYPES",
    "STATUSES",
    "SUGGESTION_SLACK",
    "TEN_YEARS",
    "InvalidTransition",
    "Transition",
    "add_officers",
    "allowed_transitions",
    "assign_to_agency",
    "change_type",
    "create_agency",
    "create_incident",
    "custodian_of",
    "custody_history",
    "default_agency",
    "get_incident",
    "incident_summary",
    "incidents_for_recording",
    "link_recording",
    "list_agencies",
    "list_incidents",
    "return_custody",
    "set_investigation_status",
    "suggestions",
    "unlink_recording",
]
