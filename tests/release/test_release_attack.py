"""Attack: "closed" means closed while the investigation is active (RSMo 610.100.2(1)).
A preparer must not park an inactive case back in "closed" (out of the authority's
reach, labelled as a closed record) with a mere reason (both back ends)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sunlight.release import service
from sunlight.release.states import InvalidReleaseChange
from sunlight.runtime import Runtime
from tests.release.support import T0, make_inactive, person, scenario

DAY = timedelta(days=1)


def test_inactive_case_cannot_be_moved_back_to_closed(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000951")
    make_inactive(runtime, s.incident_id)
    custodian = person(runtime, 1, "records-custodian")
    with runtime.db.session() as session:
        case = service.open_case(session, s.incident_id, principal=custodian, now=T0 + 6 * DAY)
        assert case.state == "in-review"
        with pytest.raises(InvalidReleaseChange, match="not under active investigation"):
            service.move(
                session,
                s.incident_id,
                "closed",
                principal=custodian,
                now=T0 + 7 * DAY,
                reason="parking it",
            )
        assert service.get_case(session, s.incident_id).state == "in-review"
