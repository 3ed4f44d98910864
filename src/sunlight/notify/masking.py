"""Hiding private links in what staff and logs see of an email.

A message to a requester can hold a link that is itself the credential: the tracking page
(``/public/requests/track/TOKEN``) and a delivered copy (``/s/TOKEN``). The outbox keeps
the real body, because the mail server must send it; everything that *shows* a message
(the staff ``/outbox`` page and ``/api/outbox``, ``sunlight outbox list`` and the outbox's
log lines) passes its text through :func:`mask` first. One function, so a new kind of
private link is hidden everywhere by adding its path here.

Besides the known paths, any run of 40 or more URL-safe base64 characters (a 32-byte token
is 43) is hidden too, wherever it appears: a token pasted into a subject or echoed in a mail
server's error is not a credential staff need to read.
"""

from __future__ import annotations

import logging
import re

#: Paths whose next segment is a credential (the link works for whoever holds it).
PRIVATE_LINK_PATHS: tuple[str, ...] = ("/public/requests/track/", "/s/")
#: What a hidden token reads as.
HIDDEN = "[private-link-hidden]"
_TOKEN_CHARS = r"[A-Za-z0-9_\-]"  # noqa: S105 (a pattern, not a secret)
_LINK = re.compile(
    "(" + "|".join(re.escape(p) for p in PRIVATE_LINK_PATHS) + ")" + _TOKEN_CHARS + "+"
)
_LONG_TOKEN = re.compile(rf"(?<!{_TOKEN_CHARS}){_TOKEN_CHARS}{{40,}}(?!{_TOKEN_CHARS})")


def mask(text: str) -> str:
    """``text`` with every private link's token (and any long token) replaced by HIDDEN."""
    if not text:
        return text
    text = _LINK.sub(lambda found: found.group(1) + HIDDEN, text)
    return _LONG_TOKEN.sub(HIDDEN, text)


def mask_optional(text: str | None) -> str | None:
    return None if text is None else mask(text)


class MaskingFilter(logging.Filter):
    """Masks a log record's template and each of its text arguments before any handler sees
    it (arguments stay arguments, so a formatter that reads them, as uvicorn's access log
    does, still works). Installed on the outbox's logger and on the server's log handlers
    (``sunlight serve``), so no log line, an access log line for ``/s/TOKEN`` included,
    carries a private link."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _masked_arg(v) for k, v in record.args.items()}
        return True


def _masked_arg(value: object) -> object:
    """A log argument masked: numbers stay numbers (``%d`` still formats them); anything
    else (an exception, a URL object) is masked as the text it would print as."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask(str(value))
