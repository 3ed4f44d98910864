"""What the outbox's staff routes share: who may read the outbox (``request:view``: its
mail is mostly to requesters) and who may queue a failed message again
(``request:manage``), and the filters a listing takes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from sunlight.access import Permission, Principal
from sunlight.notify.models import OutboxStatus
from sunlight.web.guard import require

ViewDep = Annotated[Principal, Depends(require(Permission.REQUEST_VIEW))]
ManageDep = Annotated[Principal, Depends(require(Permission.REQUEST_MANAGE))]

StatusQuery = Annotated[OutboxStatus | None, Query()]
TopicQuery = Annotated[
    str | None, Query(max_length=100, pattern=r"^[a-z][a-z0-9_-]{0,29}(:[A-Za-z0-9._-]{1,60})?$")
]
LimitQuery = Annotated[int, Query(ge=1, le=500)]
