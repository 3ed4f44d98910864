"""Playwright drives Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from sunlight.runtime import Runtime
from tests.support.auth import browser_sign_in
from tests.support.server import live_server
from tests.support.services import unavailable

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not shutil.which("chromium"):
        unavailable("Debian Chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def live_url(embedded_runtime: Runtime) -> Iterator[str]:
    """The live app, with nobody signed in."""
    with live_server(embedded_runtime) as url:
        yield url


@pytest.fixture
def base_url_live(embedded_runtime: Runtime, context: Any) -> Iterator[str]:
    """The live app, with the browser signed in as a records custodian and administrator."""
    with live_server(embedded_runtime) as url:
        browser_sign_in(context, url, embedded_runtime)
        yield url
