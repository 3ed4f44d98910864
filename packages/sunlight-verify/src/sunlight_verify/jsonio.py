"""Reading JSON that a log or a stranger handed over: bounded depth, finite numbers."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from sunlight_verify.tlog import VerificationError

__all__ = ["MAX_DEPTH", "load_json"]

#: Proof bundles nest five levels; anything past this is an attack, not a proof.
MAX_DEPTH = 64

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _too_deep(text: str, limit: int) -> bool:
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(text):
        mark = match.group()
        if mark in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif mark in ("]", "}"):
            depth -= 1
    return False


def _no_constant(name: str) -> Any:
    raise VerificationError(f"JSON has {name}; numbers must be finite")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise VerificationError(f"JSON number {text[:40]} is out of range")
    return value


def load_json(data: str | bytes, what: str = "the document") -> Any:
    """Parse ``data``; raise :class:`VerificationError` (naming ``what``) if it is not
    UTF-8 JSON of bounded depth with finite numbers."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise VerificationError(f"{what} is not UTF-8: {exc}") from exc
    if _too_deep(text, MAX_DEPTH):
        raise VerificationError(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except VerificationError:
        raise
    except (ValueError, RecursionError) as exc:
        raise VerificationError(f"{what} is not JSON: {exc}") from exc
