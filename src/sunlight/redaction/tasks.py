"""Celery tasks of the redaction domain (thin: the work lives in service.py)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from sunlight import runtime
from sunlight.redaction import service


# acks_late: a worker killed mid-job gets the message redelivered; the job row says
# whether the work is already done, so running it twice does nothing twice.
@shared_task(name=service.DETECT_TASK, acks_late=True)  # type: ignore[untyped-decorator]
def detect(job_id: int) -> dict[str, Any]:
    return service.run_detection(runtime.current(), job_id).to_dict()


@shared_task(name=service.RENDER_TASK, acks_late=True)  # type: ignore[untyped-decorator]
def render(job_id: int) -> dict[str, Any]:
    return service.run_render(runtime.current(), job_id).to_dict()
