"""What the policies routes share: path types and the public comment rate limit (the
records-request intake's limiter, one per application, per client address)."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Path, Request

from sunlight.requests.web_common import RateLimit

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
PolicyName = Annotated[str, Path(pattern=NAME_PATTERN)]
VersionStr = Annotated[str, Path(pattern=VERSION_PATTERN)]
#: Public comments allowed per client address in the window (seconds).
COMMENT_RATE = (10, 3600.0)
_lock = threading.Lock()


def comment_rate_limited(request: Request) -> None:
    state = request.app.state
    with _lock:
        limiter = getattr(state, "policy_comment_rate_limit", None)
        if not isinstance(limiter, RateLimit):
            limiter = RateLimit(*COMMENT_RATE)
            state.policy_comment_rate_limit = limiter
    limiter.check(request.client.host if request.client else "unknown")
