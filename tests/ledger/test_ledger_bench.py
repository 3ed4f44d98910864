"""bench/ledger_bench.py's synthetic custody events describe what it stores: the audit of
its data (the bench's last row, which asserts a clean report) finds nothing. Its ingest
events once named recordings it never inserted, and the replay audit reported every one
as a deleted row."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from sqlalchemy import func, select

from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.ledger import checkpoints, log_identity, sealing
from sunlight.ledger.audit import run_audit
from sunlight.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledger_bench", ROOT / "bench" / "ledger_bench.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ledger_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_bench_events_pass_the_audit_replay(embedded_runtime: Runtime) -> None:
    bench = _bench()
    count = 403
    bench.add_events(embedded_runtime, count, chunk=100)  # several chunks, a partial one
    log_identity.init_key(embedded_runtime)
    assert sealing.seal_pending(embedded_runtime) == count
    checkpoints.issue_checkpoint(embedded_runtime)

    report = run_audit(embedded_runtime, objects=False)
    assert report.ok, list(report.findings)
    assert report.events_checked == count

    with embedded_runtime.db.session(read_only=True) as session:
        ingests = session.scalar(select(func.count()).where(CustodyEvent.action == "ingest"))
        recordings = session.scalar(select(func.count()).select_from(Recording))
        newest = session.scalar(select(func.max(Recording.id)))
        targets = session.scalars(
            select(CustodyEvent.object_id).where(CustodyEvent.action != "ingest")
        ).all()
    assert ingests == recordings == (count + 3) // 4
    # every view, stream and download names a recording that exists
    assert targets and all(1 <= int(t) <= (newest or 0) for t in targets)
