"""Every setting is documented: each ``SUNLIGHT_*`` variable the code reads appears in the
operators' guide."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r"SUNLIGHT_[A-Z0-9_]*[A-Z0-9]")
# Prefixes the code composes names from, not settings themselves.
NOT_SETTINGS = {"SUNLIGHT_LEDGER"}


def test_every_setting_is_in_the_operators_guide() -> None:
    used: set[str] = set()
    for source in (ROOT / "src" / "sunlight").rglob("*.py"):
        used.update(SETTING.findall(source.read_text(encoding="utf-8")))
    guide = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    missing = sorted(name for name in used - NOT_SETTINGS if name not in guide)
    assert not missing, f"settings missing from docs/operators.md: {missing}"
