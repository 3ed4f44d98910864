"""Celery tasks of the evidence domain (thin: the work lives in derivatives.py)."""

from __future__ import annotations

from celery import shared_task

from sunlight import runtime
from sunlight.evidence import derivatives


@shared_task(name=derivatives.TASK_NAME, acks_late=True)  # type: ignore[untyped-decorator]
def make_derivatives(recording_id: int) -> str:
    return derivatives.make_derivatives(runtime.current(), recording_id)
