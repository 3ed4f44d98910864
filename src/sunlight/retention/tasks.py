"""Celery task of the retention domain: one scheduled run (see docs/retention.md)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from sunlight import runtime
from sunlight.retention import service

TASK_NAME = "sunlight.retention.run"


@shared_task(name=TASK_NAME, acks_late=True)  # type: ignore[untyped-decorator]
def run_retention(dry_run: bool = False) -> dict[str, Any]:
    return service.run(runtime.current(), dry_run=dry_run).to_dict()
