"""The request state machine: every allowed change, every refused one with its message."""

from __future__ import annotations

import pytest

from sunlight.errors import InvalidChange
from sunlight.requests.states import TRANSITIONS, Status, check, parse_status, refusal

ALL = list(Status)
ALLOWED = [(a, b) for a in ALL for b in TRANSITIONS[a]]
REFUSED = [(a, b) for a in ALL for b in ALL if b not in TRANSITIONS[a]]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed(current: Status, target: Status) -> None:
    check(current, target)


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_refused(current: Status, target: Status) -> None:
    with pytest.raises(InvalidChange) as raised:
        check(current, target)
    assert raised.value.message == refusal(current, target)
    assert raised.value.diagnostics == {"from": current.value, "to": target.value}


def test_messages_say_what_is_allowed() -> None:
    assert refusal(Status.DENIED, Status.FULFILLED) == (
        "a denied request can be reopened, not fulfilled"
    )
    assert refusal(Status.WITHDRAWN, Status.REOPENED) == (
        "a withdrawn request is final: it cannot be reopened"
    )
    assert "not received" in refusal(Status.ACKNOWLEDGED, Status.RECEIVED)


def test_table_is_complete_and_closed_only_reopen() -> None:
    assert set(TRANSITIONS) == set(Status)
    for closed in (Status.FULFILLED, Status.PARTIALLY_FULFILLED, Status.DENIED):
        assert TRANSITIONS[closed] == (Status.REOPENED,)
    assert Status.RECEIVED not in {t for targets in TRANSITIONS.values() for t in targets}
    assert len(ALLOWED) + len(REFUSED) == len(ALL) ** 2


def test_parse_status() -> None:
    assert parse_status("in-progress") is Status.IN_PROGRESS
    with pytest.raises(InvalidChange, match="unknown status"):
        parse_status("lost")
