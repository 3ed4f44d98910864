"""The checkpoint file: the latest checkpoint this host signed, kept beside the log key
where a database edit cannot reach it.

The log never signs a checkpoint smaller than, or inconsistent with, the one in this file;
when the database is behind it (rolled back, edited, restored from an older backup) the
log refuses to sign (see :func:`sunlight.ledger.checkpoints.issue_checkpoint`). The file also
carries a running digest of every witness cosignature stored so far, so that ``sunlight
audit`` notices a deleted or changed cosignature row.

The file records its own inode number. Any copy of it (a backup restored, ``cp``,
``rsync``, a hand edit) has another inode: a host whose file is a copy may be a restored
backup behind the published log, and refuses to sign until ``sunlight ledger
restore-check`` has seen the latest published checkpoint.

Writes are durable (temporary file, fsync, rename, fsync of the folder), serialized by an
advisory lock on ``<file>.lock``, and never move the file backwards.

Format (JSON)::

    {"format": "sunlight-ledger-state/v1", "note": "<signed checkpoint note>",
     "inode": 1234, "cosignatures": {"through_id": 17, "count": 17, "digest": "<hex>"}}
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sunlight.ledger.verify import Checkpoint, VerificationError, parse_checkpoint

FORMAT = "sunlight-ledger-state/v1"
_EMPTY = hashlib.sha256(b"").hexdigest()


class StateError(RuntimeError):
    """The checkpoint file exists but cannot be read as one."""


@dataclass(frozen=True)
class CosignatureChain:
    """A running digest over the stored cosignature rows with ``id <= through_id``."""

    through_id: int = 0
    count: int = 0
    digest: str = _EMPTY

    def extend(self, rows: Iterable[tuple[int, int, str]]) -> CosignatureChain:
        """Fold in rows ``(id, checkpoint_id, signature_line)`` in id order."""
        through, count, digest = self.through_id, self.count, bytes.fromhex(self.digest)
        for row_id, checkpoint_id, line in rows:
            digest = row_digest(digest, row_id, checkpoint_id, line)
            through, count = max(through, row_id), count + 1
        return CosignatureChain(through, count, digest.hex())


def row_digest(previous: bytes, row_id: int, checkpoint_id: int, line: str) -> bytes:
    return hashlib.sha256(
        previous + f"{row_id}\n{checkpoint_id}\n".encode() + line.encode("utf-8")
    ).digest()


@dataclass(frozen=True)
class LogState:
    path: Path
    note: str
    checkpoint: Checkpoint
    inode: int
    current_inode: int
    cosignatures: CosignatureChain = field(default_factory=CosignatureChain)

    @property
    def is_copy(self) -> bool:
        """True when the file is not the one this host wrote (copied, restored, edited)."""
        return self.current_inode != self.inode


def _note_body(note: str) -> str:
    split = note.rfind("\n\n")
    if split < 0:
        raise StateError("the note has no signature block")
    return note[: split + 1]


def read_state(path: Path) -> LogState | None:
    """The checkpoint file, or None when there is none.

    Raises:
        StateError: the file exists but is not a readable checkpoint file.
    """
    try:
        # One open file for both the content and its inode: a concurrent rename of a newer
        # file into place must not make this one look like a copy.
        with open(path, "rb") as fh:
            current_inode = os.fstat(fh.fileno()).st_ino
            raw = fh.read().decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"cannot read {path}: {exc}") from exc
    try:
        doc = json.loads(raw)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise StateError(f"{path} is not a {FORMAT} file")
        note = doc["note"]
        chain = doc.get("cosignatures") or {}
        state = LogState(
            path=path,
            note=str(note),
            checkpoint=parse_checkpoint(_note_body(str(note))),
            inode=int(doc["inode"]),
            current_inode=current_inode,
            cosignatures=CosignatureChain(
                int(chain.get("through_id", 0)),
                int(chain.get("count", 0)),
                str(chain.get("digest", _EMPTY)),
            ),
        )
        bytes.fromhex(state.cosignatures.digest)
    except StateError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, VerificationError) as exc:
        raise StateError(f"{path} is damaged: {exc}") from exc
    return state


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_state(path: Path, note: str, chain: CosignatureChain, *, replace: bool = False) -> bool:
    """Durably record ``note`` (a checkpoint this log signed) and the cosignature digest.

    Unless ``replace`` (``restore-check``), the file only moves forward: nothing is
    written when it already holds a larger checkpoint, or the same one with as many
    cosignatures folded in. Returns whether the file was written.
    """
    checkpoint = parse_checkpoint(_note_body(note))
    with _locked(path):
        if not replace:
            try:
                current = read_state(path)
            except StateError:
                current = None  # a damaged file never blocks recording a newer signature
            if current is not None and (
                current.checkpoint.size,
                current.cosignatures.through_id,
            ) >= (checkpoint.size, chain.through_id):
                return False
        temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                doc = {
                    "format": FORMAT,
                    "note": note,
                    "inode": os.fstat(fh.fileno()).st_ino,  # kept by the rename below
                    "cosignatures": {
                        "through_id": chain.through_id,
                        "count": chain.count,
                        "digest": chain.digest,
                    },
                }
                fh.write(json.dumps(doc, indent=1) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        _fsync_dir(path.parent)
    return True
