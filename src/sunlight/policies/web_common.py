"""What the policies routes share: path types and the public comment rate limit (the
records-request intake's limiter, one per application, per client address)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from sunlight.web.rate_limit import limited

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
PolicyName = Annotated[str, Path(pattern=NAME_PATTERN)]
VersionStr = Annotated[str, Path(pattern=VERSION_PATTERN)]
#: Public comments allowed per client address in the window (seconds).
COMMENT_RATE = (10, 3600.0)
#: One limiter per application (made on first use); a comment refused with a 4xx (empty,
#: no such version) gives its write back, its attempt is kept (``web/rate_limit.py``).
comment_rate_limited = limited("policy_comment_rate_limit", COMMENT_RATE)
