"""The incidents domain's change guard: outside custody and active investigations.

Registered with the evidence core when this module is imported (``sunlight.models`` does,
and the runtime imports that at start-up), so it is always active.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access.models import Agency
from sunlight.evidence.guards import Operation, change_guard
from sunlight.incidents.models import Incident, IncidentRecording

# While an outside agency holds custody the department can neither alter nor delete the
# footage (nor unlink it from that incident: ``service.unlink_recording`` refuses that, while
# unlinking it from another, department-held incident stays possible). Flags are the
# department's own notes and stay possible.
_CUSTODY_BLOCKS = {Operation.ALTER, Operation.DELETE}


@change_guard
def incident_guard(session: Session, recording_id: int, operation: Operation) -> str | None:
    if operation not in _CUSTODY_BLOCKS:
        return None
    rows = session.execute(
        select(Incident.cad_number, Incident.investigation_status, Agency.name)
        .join(IncidentRecording, IncidentRecording.incident_id == Incident.id)
        .outerjoin(Agency, Agency.id == Incident.agency_id)
        .where(IncidentRecording.recording_id == recording_id)
        .order_by(Incident.id)
    ).all()
    for cad_number, _status, agency in rows:
        if agency is not None:
            return f"in the custody of {agency} (outside investigation, incident {cad_number})"
    if operation == Operation.DELETE:
        for cad_number, status, _agency in rows:
            if status == "active":
                return (
                    f"linked to incident {cad_number}, whose investigation is active (RSMo 610.100)"
                )
    return None
