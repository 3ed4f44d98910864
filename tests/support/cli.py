"""Run Sunlight's CLI, or a short Python script, in another process over a test's data."""

from __future__ import annotations

import os
import subprocess
import sys

from sunlight.runtime import Runtime


def settings_env(runtime: Runtime) -> dict[str, str]:
    """The ``SUNLIGHT_*`` variables that point a process at ``runtime``'s data."""
    s = runtime.settings
    return {
        "SUNLIGHT_HOME": str(s.home),
        "SUNLIGHT_DATABASE_URL": s.database_url,
        "SUNLIGHT_STORAGE_URL": s.storage_url,
        "SUNLIGHT_BROKER_URL": s.broker_url,
        "SUNLIGHT_RESULT_BACKEND": s.result_backend,
        "SUNLIGHT_WORKER_MODE": "eager",
    }


def cli_env(runtime: Runtime) -> dict[str, str]:
    """This process's environment, pointed at ``runtime``'s database and storage."""
    return {**os.environ, **settings_env(runtime)}


def run_python(runtime: Runtime, script: str) -> subprocess.CompletedProcess[str]:
    """``script`` run by another Python process over ``runtime``'s data (checked)."""
    return subprocess.run(
        [sys.executable, "-c", script],
        env=cli_env(runtime),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        timeout=120,
    )
