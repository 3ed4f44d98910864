"""Change guards: how higher domains refuse changes to evidence without evidence knowing them.

The evidence core must not import incidents or retention, yet some changes must be refused
for reasons only those domains know: footage in an outside agency's custody cannot be
altered, unlinked or deleted; footage on legal hold or tied to an active investigation is
never deleted. Such a domain registers a guard at import time::

    @change_guard
    def outside_custody(session, recording_id, operation):
        return "in the custody of the Missouri Highway Patrol" if ... else None

A guard returns ``None`` to allow the operation or a reason to refuse it. The evidence
service asks every guard before each change (``refusal``) and raises ``ChangeRefused``
with the first reason given.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from sqlalchemy.orm import Session


class Operation(StrEnum):
    ALTER = "alter"  # descriptive metadata of a recording
    FLAG = "flag"  # add or clear a flag
    LINK = "link"  # attach a recording to an incident
    UNLINK = "unlink"  # detach a recording from an incident
    DELETE = "delete"  # dispose of the bytes under the retention schedule


Guard = Callable[[Session, int, Operation], str | None]

_guards: list[Guard] = []


def change_guard(guard: Guard) -> Guard:
    """Register ``guard`` (idempotent: re-importing a module does not register it twice)."""
    if guard not in _guards:
        _guards.append(guard)
    return guard


def registered() -> tuple[Guard, ...]:
    return tuple(_guards)


def refusal(session: Session, recording_id: int, operation: Operation) -> str | None:
    """The first reason any guard gives to refuse ``operation`` on the recording, or None."""
    for guard in _guards:
        reason = guard(session, recording_id, operation)
        if reason:
            return reason
    return None
