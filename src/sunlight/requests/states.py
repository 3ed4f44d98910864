"""The records request's states and the one table of allowed changes (RSMo 610.023).

Every change a request can make is in :data:`TRANSITIONS`; anything else raises
:class:`InvalidRequestChange` with a message that says what the state allows instead
("a denied request can be reopened, not fulfilled"). Denials cite a provision from the
closed list :data:`DENIAL_PROVISIONS`.
"""

from __future__ import annotations

from enum import StrEnum

from sunlight.errors import InvalidChange


class Status(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    CLARIFICATION_REQUESTED = "clarification-requested"
    IN_PROGRESS = "in-progress"
    DELAYED = "delayed"
    FULFILLED = "fulfilled"
    PARTIALLY_FULFILLED = "partially-fulfilled"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


S = Status
_WORKING = (S.ACKNOWLEDGED, S.CLARIFICATION_REQUESTED, S.IN_PROGRESS, S.DELAYED)
_ENDINGS = (S.FULFILLED, S.PARTIALLY_FULFILLED, S.DENIED, S.WITHDRAWN)

#: From each state, the states it may move to. A closed request (fulfilled, partially
#: fulfilled, denied) can only be reopened; a withdrawn one is final.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    S.RECEIVED: (*_WORKING, *_ENDINGS),
    S.ACKNOWLEDGED: (S.CLARIFICATION_REQUESTED, S.IN_PROGRESS, S.DELAYED, *_ENDINGS),
    S.CLARIFICATION_REQUESTED: (S.ACKNOWLEDGED, S.IN_PROGRESS, S.DELAYED, *_ENDINGS),
    S.IN_PROGRESS: (S.CLARIFICATION_REQUESTED, S.DELAYED, *_ENDINGS),
    S.DELAYED: (S.CLARIFICATION_REQUESTED, S.IN_PROGRESS, S.DELAYED, *_ENDINGS),
    S.FULFILLED: (S.REOPENED,),
    S.PARTIALLY_FULFILLED: (S.REOPENED,),
    S.DENIED: (S.REOPENED,),
    S.WITHDRAWN: (),
    S.REOPENED: (*_WORKING, *_ENDINGS),
}

#: States whose clock runs (the request is open).
OPEN: frozenset[Status] = frozenset(
    {S.RECEIVED, S.ACKNOWLEDGED, S.CLARIFICATION_REQUESTED, S.IN_PROGRESS, S.DELAYED, S.REOPENED}
)
CLOSED: frozenset[Status] = frozenset(_ENDINGS)

#: The provisions a denial (or a partial fulfilment's withheld part) may cite.
DENIAL_PROVISIONS: dict[str, str] = {
    "RSMo 610.100.2(1)": (
        "investigative report or mobile video recording of an active investigation"
    ),
    "RSMo 610.100.2(3)": "mobile video recording in a nonpublic location",
    "RSMo 610.100.3": (
        "nonpublic-location recording: only persons depicted or heard (or their guardian, "
        "relative, attorney or insurer) may obtain it"
    ),
    "RSMo 610.100.5": "disclosure would jeopardize a person's safety or an investigation",
    "RSMo 610.021(1)": "legal actions, privileged attorney-client communications",
    "RSMo 610.021(3)": "personnel matters: hiring, firing, disciplining or promoting",
    "RSMo 610.021(13)": "individually identifiable personnel records",
    "RSMo 610.021(14)": "records protected from disclosure by law",
    "RSMo 610.024": "exempt material separated out; the rest released",
    "no-records": "the department holds no record that answers the request",
}


class InvalidRequestChange(InvalidChange):
    """A change the request's state does not allow (HTTP 422)."""


def _phrase(status: Status) -> str:
    words = {
        S.RECEIVED: "a received request",
        S.ACKNOWLEDGED: "an acknowledged request",
        S.CLARIFICATION_REQUESTED: "a request awaiting clarification",
        S.IN_PROGRESS: "a request in progress",
        S.DELAYED: "a delayed request",
        S.FULFILLED: "a fulfilled request",
        S.PARTIALLY_FULFILLED: "a partially fulfilled request",
        S.DENIED: "a denied request",
        S.WITHDRAWN: "a withdrawn request",
        S.REOPENED: "a reopened request",
    }
    return words[status]


def _verb(status: Status) -> str:
    return {
        S.RECEIVED: "received",
        S.ACKNOWLEDGED: "acknowledged",
        S.CLARIFICATION_REQUESTED: "asked for clarification",
        S.IN_PROGRESS: "put in progress",
        S.DELAYED: "delayed",
        S.FULFILLED: "fulfilled",
        S.PARTIALLY_FULFILLED: "partially fulfilled",
        S.DENIED: "denied",
        S.WITHDRAWN: "withdrawn",
        S.REOPENED: "reopened",
    }[status]


def refusal(current: Status, target: Status) -> str:
    """Why ``current`` cannot become ``target``, and what it can become."""
    allowed = TRANSITIONS[current]
    if not allowed:
        return f"{_phrase(current)} is final: it cannot be {_verb(target)}"
    options = [_verb(s) for s in allowed]
    can = options[0] if len(options) == 1 else ", ".join(options[:-1]) + " or " + options[-1]
    return f"{_phrase(current)} can be {can}, not {_verb(target)}"


def check(current: Status, target: Status) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidRequestChange(
            refusal(current, target),
            diagnostics={"from": str(current), "to": str(target)},
        )


def parse_status(text: str) -> Status:
    try:
        return Status(text)
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise InvalidChange(f"unknown status {text!r}: one of {known}") from None
