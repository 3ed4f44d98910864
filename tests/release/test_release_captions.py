"""The release policy's ``require_approved_captions``: a release decision is refused, naming
what is missing, unless every copy it releases has approved captions unchanged since; with
them it goes through (both back ends)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sunlight.captions import service as captions
from sunlight.captions.vtt import Cue
from sunlight.db.base import utcnow
from sunlight.errors import InvalidChange
from sunlight.release import service
from sunlight.release.policy import load_release_policy
from sunlight.runtime import Runtime
from tests.release.support import T0, make_inactive, person, redacted_copy, scenario
from tests.support.captions_data import approve_captions


def test_the_packaged_policy_requires_approved_captions() -> None:
    assert load_release_policy().policy.require_approved_captions is True


def test_a_release_without_approved_captions_is_refused(runtime: Runtime) -> None:
    day = timedelta(days=1)
    s = scenario(runtime)
    bare = redacted_copy(runtime, s.original_id, version=3, captions=False)
    custodian = person(runtime, 1, "records-custodian")
    make_inactive(runtime, s.incident_id)
    with runtime.db.session() as session:
        service.open_case(session, s.incident_id, principal=custodian, now=T0 + 6 * day)
        ids = []
        for copy, version in ((s.derived_id, 2), (bare, 3)):
            candidate = service.add_candidate(
                session, s.incident_id, copy, principal=custodian, now=T0 + 7 * day
            )
            service.review_candidate(
                session,
                candidate.id,
                principal=custodian,
                plan_version=version,
                note="checked",
                now=T0 + 8 * day,
            )
            ids.append(candidate.id)
        service.move(session, s.incident_id, "ready", principal=custodian, now=T0 + 8 * day)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)

    def decide(candidate_ids: list[int]) -> None:
        with runtime.db.session() as session:
            service.decide_release(
                session,
                s.incident_id,
                principal=mshp,
                candidate_ids=candidate_ids,
                now=T0 + 10 * day,
            )

    # no captions at all: refused, naming the copy
    with pytest.raises(InvalidChange, match=f"recording {bare} has no en captions") as refused:
        decide(ids)
    assert refused.value.diagnostics == {"captions": [f"recording {bare} has no en captions"]}
    assert "require_approved_captions" in refused.value.message
    # a draft, not approved
    now = utcnow()
    draft = captions.save_version(
        runtime, bare, [Cue(0.0, 0.5, "[No speech]")], actor="test:c", source="staff", now=now
    )
    with pytest.raises(InvalidChange, match=f"captions of recording {bare} are not approved"):
        decide(ids)
    # approved, then changed: the newer draft is not what was approved
    captions.approve(runtime, bare, version=draft.version, actor="test:c", now=now)
    captions.save_version(
        runtime, bare, [Cue(0.0, 0.6, "[Silence]")], actor="test:c", source="staff", now=now
    )
    with pytest.raises(InvalidChange, match="changed after approval"):
        decide(ids)
    with runtime.db.session(read_only=True) as session:
        assert service.get_case(session, s.incident_id).state == "ready"
        assert service.released_copies(session, s.incident_id) == []
    # approved as it stands: released
    approve_captions(runtime, bare)
    decide(ids)
    with runtime.db.session(read_only=True) as session:
        assert service.get_case(session, s.incident_id).state == "released"
        assert len(service.released_copies(session, s.incident_id)) == 2
