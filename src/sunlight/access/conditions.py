"""The closed list of conditions the access policy may name.

A condition is SQL: given the principal and the moment of the decision (``now``, the
caller's clock), it returns a boolean SQLAlchemy expression over a resource table
(recordings or incidents). A single check runs it with ``id = x``; a list runs it as the
filter, so a list and a check can never disagree (Datasette's rule). A condition about time
(a share's expiry) compares with ``now``, never with the wall clock: the check and the list
are asked at the same moment, and tests and the demo set it.

Domains register the conditions about their own tables when ``sunlight.models`` imports
them; ``access`` imports no domain. The policy file is validated against this registry at
start-up: a condition that is not registered for a permission's resource type stops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, true

from sunlight.access.permissions import ResourceType
from sunlight.access.principal import Principal

#: ``(principal, now) -> SQL``: ``now`` is the moment the question is asked at.
SqlCondition = Callable[[Principal, datetime], ColumnElement[bool]]


@dataclass
class ResourceTable:
    """The table a resource type lives in (its model and id column), registered by its domain."""

    model: Any
    id_column: Any


@dataclass
class Condition:
    name: str
    description: str
    sql: dict[ResourceType, SqlCondition] = field(default_factory=dict)


RESOURCES: dict[ResourceType, ResourceTable] = {}
CONDITIONS: dict[str, Condition] = {
    "always": Condition("always", "No condition: applies to every resource."),
}


def register_resource(kind: ResourceType, model: Any, id_column: Any) -> None:
    RESOURCES[kind] = ResourceTable(model, id_column)


def register(name: str, description: str, resource: ResourceType, sql: SqlCondition) -> None:
    condition = CONDITIONS.setdefault(name, Condition(name, description))
    condition.sql[resource] = sql


def resource_table(kind: ResourceType) -> ResourceTable:
    try:
        return RESOURCES[kind]
    except KeyError:
        raise LookupError(f"no table registered for resource type {kind!r}") from None


def sql_for(
    name: str, resource: ResourceType, principal: Principal, now: datetime
) -> ColumnElement[bool]:
    if name == "always":
        return true()
    return CONDITIONS[name].sql[resource](principal, now)


def supports(name: str, resource: ResourceType | None) -> bool:
    if name == "always":
        return True
    condition = CONDITIONS.get(name)
    return condition is not None and resource is not None and resource in condition.sql
