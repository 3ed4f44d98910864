"""Celery tasks of the captions domain (thin: the work lives in service.py)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from sunlight import runtime
from sunlight.captions import service
from sunlight.db.base import utcnow


# acks_late: a redelivered draft finds its job done and does nothing twice.
@shared_task(name=service.DRAFT_TASK, acks_late=True)  # type: ignore[untyped-decorator]
def draft(job_id: int) -> dict[str, Any]:
    return service.run_draft(runtime.current(), job_id, now=utcnow()).to_dict()
