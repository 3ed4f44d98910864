"""Shared helpers for the ledger tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True when the CI environment variable says so (GitHub and most CIs set CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _unavailable(reason: str) -> NoReturn:
    # Locally a missing optional dependency only skips the test; in CI it must not
    # silently pass, so it fails there.
    if in_ci():
        pytest.fail(f"{reason} (required because CI=true)")
    pytest.skip(reason)


@pytest.fixture
def unavailable() -> Callable[[str], NoReturn]:
    """Skip the test with ``reason`` locally, or fail it when CI=true."""
    return _unavailable
