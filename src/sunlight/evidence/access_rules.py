"""The access policy's conditions about recordings themselves (registered at start-up)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, false, select

from sunlight.access.conditions import register, register_resource
from sunlight.access.principal import Principal
from sunlight.evidence.models import Officer, Recording, RecordingFlag

#: Flag kinds that mark footage of vulnerable people (minors, victims of sex crimes).
VULNERABLE_FLAG_KINDS = ("vulnerable", "minor", "sex-crime-victim")

register_resource("recording", Recording, Recording.id)


def own_recording(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.officer_id is None:
        return false()
    return Recording.officer_id == principal.officer_id


def own_unit(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if not principal.unit:
        return false()
    return Recording.officer_id.in_(select(Officer.id).where(Officer.unit == principal.unit))


def vulnerable(principal: Principal, now: datetime) -> ColumnElement[bool]:
    # IN (uncorrelated), not a correlated EXISTS: PostgreSQL costs the EXISTS per row, which
    # on a large archive pushed a supervisor's count over the JIT threshold (0.5 s of JIT
    # compiling for a 0.1 s query; see bench/access_bench.py). Same rows: recording_id is
    # never NULL.
    return Recording.id.in_(
        select(RecordingFlag.recording_id).where(
            RecordingFlag.kind.in_(VULNERABLE_FLAG_KINDS),
            RecordingFlag.cleared_at.is_(None),
        )
    )


register(
    "own_recording",
    "The recording was made by the officer the user is.",
    "recording",
    own_recording,
)
register(
    "own_unit", "The recording was made by an officer of the user's unit.", "recording", own_unit
)
register(
    "vulnerable",
    "The recording is flagged as depicting vulnerable people (minors, victims of sex crimes).",
    "recording",
    vulnerable,
)
