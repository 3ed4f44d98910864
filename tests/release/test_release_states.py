"""The release case state machine: every allowed transition, every refused one with its
message."""

from __future__ import annotations

import pytest

from sunlight.access import Permission
from sunlight.release import states
from sunlight.release.states import InvalidReleaseChange

ALLOWED = {
    ("closed", "in-review"): Permission.RELEASE_PREPARE,
    ("in-review", "closed"): Permission.RELEASE_PREPARE,
    ("in-review", "ready"): Permission.RELEASE_PREPARE,
    ("ready", "in-review"): Permission.RELEASE_DECIDE,
    ("ready", "released"): Permission.RELEASE_DECIDE,
    ("closed", "withheld"): Permission.RELEASE_DECIDE,
    ("in-review", "withheld"): Permission.RELEASE_DECIDE,
    ("ready", "withheld"): Permission.RELEASE_DECIDE,
    ("withheld", "in-review"): Permission.RELEASE_DECIDE,
    ("closed", "released-by-court-order"): Permission.RELEASE_COURT,
    ("in-review", "released-by-court-order"): Permission.RELEASE_COURT,
    ("ready", "released-by-court-order"): Permission.RELEASE_COURT,
    ("withheld", "released-by-court-order"): Permission.RELEASE_COURT,
}

REFUSED = {
    ("closed", "closed"): "the case is already closed",
    ("closed", "ready"): r"closed while the investigation is active \(RSMo 610.100.2\(1\)\)",
    ("closed", "released"): r"closed while the investigation is active \(RSMo 610.100.2\(1\)\)"
    ": a closed case cannot be released",
    ("in-review", "in-review"): "the case is already in-review",
    ("in-review", "released"): "only a ready case .* can be released; this one is in-review",
    ("ready", "ready"): "the case is already ready",
    ("ready", "closed"): "only a case in review can return to closed; this one is ready",
    ("withheld", "withheld"): "the case is already withheld",
    ("withheld", "closed"): "only a case in review can return to closed; this one is withheld",
    ("withheld", "ready"): "a withheld case goes back to review before it is ready again",
    ("withheld", "released"): "only a ready case .* can be released; this one is withheld",
    **{
        (final, to): f"the case is {final}: a release is final and cannot be undone"
        for final in ("released", "released-by-court-order")
        for to in states.STATES
        if to != final
    },
    ("released", "released"): "the case is already released",
    ("released-by-court-order", "released-by-court-order"): "the case is already released-by",
}


def test_the_table_is_exactly_the_allowed_moves() -> None:
    assert {k: v.permission for k, v in states.TRANSITIONS.items()} == ALLOWED
    every = {(a, b) for a in states.STATES for b in states.STATES}
    assert set(ALLOWED) | set(REFUSED) == every
    assert not set(ALLOWED) & set(REFUSED)


@pytest.mark.parametrize(("frm", "to"), sorted(ALLOWED))
def test_allowed(frm: str, to: str) -> None:
    assert states.refusal(frm, to) is None
    assert states.check(frm, to).permission == ALLOWED[(frm, to)]
    assert to in states.allowed_from(frm)


@pytest.mark.parametrize(("frm", "to"), sorted(REFUSED))
def test_refused_with_message(frm: str, to: str) -> None:
    with pytest.raises(InvalidReleaseChange, match=REFUSED[(frm, to)]):
        states.check(frm, to)
    assert to not in states.allowed_from(frm)


def test_unknown_state() -> None:
    with pytest.raises(InvalidReleaseChange, match="unknown release state 'published'"):
        states.check("ready", "published")
