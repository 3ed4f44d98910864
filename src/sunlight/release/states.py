"""The release case state machine: one table of allowed transitions, each with the
permission it needs; every other move is refused with a message that says why."""

from __future__ import annotations

from dataclasses import dataclass

from sunlight.access.permissions import Permission
from sunlight.errors import InvalidChange

CLOSED = "closed"
IN_REVIEW = "in-review"
READY = "ready"
RELEASED = "released"
WITHHELD = "withheld"
BY_COURT = "released-by-court-order"

STATES: dict[str, str] = {
    CLOSED: "Closed: the investigation is active (RSMo 610.100.2(1))",
    IN_REVIEW: "In review: the department prepares redacted candidates",
    READY: "Ready: reviewed candidates are with the release authority to decide",
    RELEASED: "Released to the public",
    WITHHELD: "Withheld (a statute and a reason are recorded)",
    BY_COURT: "Released by court order (RSMo 610.100)",
}
FINAL = frozenset({RELEASED, BY_COURT})

#: Which party a case waits on while it is in a state (for hand-off clocks).
PARTY: dict[str, str] = {
    CLOSED: "department",
    IN_REVIEW: "department",
    READY: "authority",
}


class InvalidReleaseChange(InvalidChange):
    """The release state machine refuses a move."""


@dataclass(frozen=True)
class Move:
    permission: Permission
    label: str


_P = Permission
TRANSITIONS: dict[tuple[str, str], Move] = {
    (CLOSED, IN_REVIEW): Move(_P.RELEASE_PREPARE, "the investigation is inactive: prepare"),
    (IN_REVIEW, CLOSED): Move(_P.RELEASE_PREPARE, "the investigation is active again"),
    (IN_REVIEW, READY): Move(_P.RELEASE_PREPARE, "hand reviewed candidates to the authority"),
    (READY, IN_REVIEW): Move(_P.RELEASE_DECIDE, "the authority sends the candidates back"),
    (READY, RELEASED): Move(_P.RELEASE_DECIDE, "the authority releases"),
    (CLOSED, WITHHELD): Move(_P.RELEASE_DECIDE, "the authority withholds"),
    (IN_REVIEW, WITHHELD): Move(_P.RELEASE_DECIDE, "the authority withholds"),
    (READY, WITHHELD): Move(_P.RELEASE_DECIDE, "the authority withholds"),
    (WITHHELD, IN_REVIEW): Move(_P.RELEASE_DECIDE, "the authority reconsiders"),
    (CLOSED, BY_COURT): Move(_P.RELEASE_COURT, "a court orders release"),
    (IN_REVIEW, BY_COURT): Move(_P.RELEASE_COURT, "a court orders release"),
    (READY, BY_COURT): Move(_P.RELEASE_COURT, "a court orders release"),
    (WITHHELD, BY_COURT): Move(_P.RELEASE_COURT, "a court orders release"),
}


def allowed_from(state: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == state]


def refusal(frm: str, to: str) -> str | None:
    """Why the move ``frm`` -> ``to`` is refused, or None when the table allows it."""
    if to not in STATES:
        return f"unknown release state {to!r} (one of: {', '.join(STATES)})"
    if (frm, to) in TRANSITIONS:
        return None
    if frm == to:
        return f"the case is already {frm}"
    if frm in FINAL:
        return f"the case is {frm}: a release is final and cannot be undone"
    if to == RELEASED and frm == CLOSED:
        return (
            "closed while the investigation is active (RSMo 610.100.2(1)): a closed case "
            "cannot be released; it must be prepared, reviewed and handed to the release "
            "authority first, or released by court order"
        )
    if to == RELEASED:
        return (
            f"only a ready case (reviewed candidates with the release authority) can be "
            f"released; this one is {frm}"
        )
    if to == READY and frm == CLOSED:
        return (
            "closed while the investigation is active (RSMo 610.100.2(1)): candidates "
            "are handed to the authority only from review"
        )
    if to == READY:
        return f"a {frm} case goes back to review before it is ready again"
    if to == CLOSED:
        return f"only a case in review can return to closed; this one is {frm}"
    return f"a release case cannot go from {frm} to {to}"


def check(frm: str, to: str) -> Move:
    why = refusal(frm, to)
    if why is not None:
        raise InvalidReleaseChange(why)
    return TRANSITIONS[(frm, to)]
