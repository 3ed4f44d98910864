"""The access policy's condition about release authority (``holds_release_authority``).

Who holds release authority over an incident comes from the published release policy: for
incident types whose rule names the ``investigating-agency``, the agency the incident is
assigned to (the Missouri Highway Patrol) decides, and the department prepares but cannot
decide; until an agency is assigned, and for every other type, the department does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, not_

from sunlight.access.conditions import register
from sunlight.access.principal import Principal
from sunlight.incidents.models import Incident
from sunlight.release.policy import load_release_policy


def _department(principal: Principal) -> bool:
    """A department account (or the department's own jobs and command line)."""
    return principal.agency_id is None or principal.agency_kind == "department"


def holds_release_authority(principal: Principal, now: datetime) -> ColumnElement[bool]:
    agency_types = load_release_policy().policy.agency_types()
    to_agency = and_(Incident.type.in_(agency_types), Incident.agency_id.is_not(None))
    if _department(principal):
        return not_(to_agency)
    return and_(to_agency, Incident.agency_id == principal.agency_id)


register(
    "holds_release_authority",
    "The user's agency holds release authority over the incident under the release policy: "
    "the agency investigating it for the types the policy gives to the investigating agency "
    "(e.g. the Missouri Highway Patrol for officer-involved shootings), else the department.",
    "incident",
    holds_release_authority,
)
