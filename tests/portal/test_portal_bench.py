"""bench/portal_bench.py imports and builds its synthetic rows (no database, no server): the
counts match the sizes asked for, every 50th release is not public, and requests carry no
real-looking identity beyond the synthetic one; its table sets each row beside the static
file's; bench/scale_bench.py (which shares bench/_serve.py with it) imports by path too."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "portal_bench", ROOT / "bench" / "portal_bench.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["portal_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_bench_builds_rows_of_the_asked_sizes() -> None:
    bench = _bench()
    built = {name: (columns, list(rows)) for name, columns, rows in bench.tables(100, 30)}
    assert len(built["releases"][1]) == 100
    assert len(built["records_requests"][1]) == 30
    assert len(built["recordings"][1]) == 200
    assert len(built["release_transitions"][1]) == 400
    for columns, rows in built.values():
        assert all(len(row) == len(columns) for row in rows)
    public = built["releases"][0].index("public")
    assert sum(1 for row in built["releases"][1] if not row[public]) == 2
    row = bench.Row("x", [0.010, 0.020, 0.030], 0, 1.0)
    assert "| x | 3 | 0 | 20.0 |" in bench.table([row])
    # a wrk row (percentiles only) beside the static baseline (the first row)
    measured = bench.WrkResult(200, 1, 2.0, 1000, 0.040, 0.080, 0.100)
    shown = bench.table([row, bench.Row("y", [], 1, 2.0, 1000, measured, "1.50", 0.25)])
    assert (
        "| y | 200 | 1 | 40.0 | 80.0 | 100.0 | 100.0 | 20.0 | 30.0 | 2.67 | 1.50 | 250 |" in shown
    )
    paths = dict(bench.groups(100, 30))
    import random

    pick = random.Random(1)
    for label, make in paths.items():
        assert make(pick).startswith("/"), label


def test_scale_bench_imports_by_path_with_the_shared_server_helpers() -> None:
    spec = importlib.util.spec_from_file_location("scale_bench", ROOT / "bench" / "scale_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scale_bench"] = module
    spec.loader.exec_module(module)
    assert module._pct([0.3, 0.1, 0.2], 0.5) == 0.2
