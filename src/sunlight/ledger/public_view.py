"""What every public page says of the log as a whole, read once per change of the log.

A release page's verification badge names the checkpoint that holds the released copy's
ingest and the witnesses who cosigned it. Which checkpoint that is depends only on the log
(the largest checkpoint the witness quorum cosigned, else the newest signed one) and on the
copy's leaf index; finding it means deciding which witnesses are trusted (their custody
events) and checking each candidate's cosignatures (Ed25519), which is the same work for
every release. :func:`log_view` does that work once per *version* of the log and answers
each page from it with :meth:`LogView.badge_checkpoint`.

The version is read on every request: the newest checkpoint, cosignature, custody event
and sealed leaf, and the ``ledger_witnesses`` rows' count and newest id (one statement).
A checkpoint signed, a cosignature stored, a witness added or removed (each a custody
event, an acceptance counting once it is sealed) or a witness row deleted changes it, so
the next page is answered from the new log. What it cannot see (a witness row edited in
place in the database, behind Sunlight's back) is seen within ``VIEW_TTL``; such a row is
never trusted anyway (:func:`sunlight.ledger.witness_trust.stored_witnesses`).

The answers are the same as :func:`~sunlight.ledger.cosign.latest_witnessed` with
``min_size=leaf + 1`` and :func:`~sunlight.ledger.cosign.witnessed_by` would give for each
leaf (``tests/ledger/test_public_view.py`` checks it against them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.db.cache import cache_on
from sunlight.evidence.models import CustodyEvent
from sunlight.ledger import cosign, errors, log_identity, stored_log
from sunlight.ledger.config import ledger_settings
from sunlight.ledger.models import LedgerCheckpoint, LedgerCosignature, LedgerLeaf, LedgerWitness
from sunlight.runtime import Runtime

__all__ = ["VIEW_TTL", "CheckpointView", "LogView", "log_view"]

#: How long a view is kept while its version holds (bounds what the version cannot see).
VIEW_TTL = timedelta(seconds=5)


@dataclass(frozen=True)
class CheckpointView:
    size: int
    #: The witnesses (by name) whose cosignature on it verifies with a trusted key.
    witnesses: tuple[str, ...]


@dataclass(frozen=True)
class LogView:
    #: The log's origin line; None on a host that holds no log key.
    origin: str | None
    quorum: int
    #: The largest checkpoint cosigned by the witness quorum (None: none is).
    witnessed: CheckpointView | None
    #: The newest signed checkpoint (None: the log is not signed yet).
    latest: CheckpointView | None

    def badge_checkpoint(self, leaf_index: int) -> tuple[CheckpointView | None, bool]:
        """The checkpoint to show for the leaf at ``leaf_index``, and whether the quorum
        witnessed it: the largest witnessed checkpoint when it holds the leaf, else the
        newest signed one when that holds it (not witnessed), else none."""
        if self.witnessed is not None and self.witnessed.size > leaf_index:
            return self.witnessed, True
        if self.latest is not None and self.latest.size > leaf_index:
            return self.latest, False
        return None, False


def _version(session: Session) -> tuple[object, ...]:
    row = session.execute(
        select(
            select(func.max(LedgerCheckpoint.id)).scalar_subquery(),
            select(func.max(LedgerCosignature.id)).scalar_subquery(),
            select(func.max(CustodyEvent.id)).scalar_subquery(),
            select(func.max(LedgerLeaf.leaf_index)).scalar_subquery(),
            select(func.count(LedgerWitness.id)).scalar_subquery(),
            select(func.max(LedgerWitness.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def _checkpoint_view(
    runtime: Runtime, session: Session, checkpoint: LedgerCheckpoint | None
) -> CheckpointView | None:
    if checkpoint is None:
        return None
    names = sorted({c.witness_name for c in cosign.witnessed_by(runtime, session, checkpoint)})
    return CheckpointView(checkpoint.size, tuple(names))


def _compute(runtime: Runtime, session: Session) -> LogView:
    try:
        origin: str | None = log_identity.identity(runtime).origin
    except errors.NoLogKey:
        origin = None
    quorum = ledger_settings(runtime.settings).witness_quorum
    latest = stored_log.latest_checkpoint(session)
    witnessed = cosign.latest_witnessed(runtime, session)
    latest_view = _checkpoint_view(runtime, session, latest)
    if witnessed is not None and latest is not None and witnessed.id == latest.id:
        witnessed_view = latest_view
    else:
        witnessed_view = _checkpoint_view(runtime, session, witnessed)
    return LogView(origin, quorum, witnessed_view, latest_view)


def log_view(runtime: Runtime, session: Session, *, now: datetime) -> LogView:
    """The log as public pages show it, computed once per version of the log (see the
    module's text) and kept for ``VIEW_TTL`` at most; ``now`` is the request's time."""
    # the log's settings (its key, the trusted keys, the quorum) are the key: two runtimes
    # on one database with different settings never share a view
    key = ledger_settings(runtime.settings)
    cache = cache_on(runtime.db, "ledger.public_view", ttl=VIEW_TTL, size=16)
    found: LogView = cache.get(key, _version(session), now, lambda: _compute(runtime, session))
    return found
