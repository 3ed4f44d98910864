"""Secret key files: created 0600, atomically, never overwritten."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

__all__ = ["read_secret", "write_secret"]

log = logging.getLogger(__name__)


def write_secret(path: Path, content: str) -> bool:
    """Create ``path`` with mode 0600 holding ``content``, atomically; never overwrite.

    Returns False when the file already existed (another process won the race)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temp, path)  # atomic, and fails if the key already exists
        except FileExistsError:
            return False
    finally:
        temp.unlink(missing_ok=True)
    return True


def read_secret(path: Path) -> str:
    """The stripped contents of a key file; warns if others may read it."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("%s is readable by others (mode %o); it should be 0600", path, mode)
    return path.read_text(encoding="utf-8").strip()
