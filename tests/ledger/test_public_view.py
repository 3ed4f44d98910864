"""The log as public pages show it (``ledger.public_view``): computed once per version of the
log, it answers every leaf as ``latest_witnessed`` and ``witnessed_by`` do, and a change to
the log (a checkpoint, a cosignature, a witness added, removed or deleted behind
Sunlight's back) is seen by the very next page."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from tests.ledger.conftest import add_events

from sunlight.db.base import utcnow
from sunlight.ledger import checkpoints, cosign, stored_log, witness_trust
from sunlight.ledger.models import LedgerCheckpoint, LedgerWitness
from sunlight.ledger.public_view import VIEW_TTL, LogView, log_view
from sunlight.ledger.verify import cosign_checkpoint, generate_witness_signer
from sunlight.runtime import Runtime

NOW = utcnow()


def _cosign(rt: Runtime, skey: str, note: str) -> None:
    body = note[: note.rfind("\n\n") + 1]
    cosign.add_cosignature(rt, body, cosign_checkpoint(body, skey, int(time.time())))


def _witnessed_log(rt: Runtime) -> tuple[str, LedgerCheckpoint]:
    """A witness added, three events sealed, the checkpoint cosigned and shown witnessed:
    the witness's verifier key and the checkpoint."""
    skey, vkey = generate_witness_signer("news.example/witness")
    witness_trust.add_witness(rt, vkey, actor="test")
    add_events(rt, 3)
    cp = checkpoints.seal_and_checkpoint(rt)
    _cosign(rt, skey, cp.note)
    assert _shown(_view(rt), 0)[2] is True
    return vkey, cp


def _view(rt: Runtime, now: datetime = NOW) -> LogView:
    with rt.db.session(read_only=True) as session:
        return log_view(rt, session, now=now)


def _expected(rt: Runtime, leaf: int) -> tuple[int | None, tuple[str, ...], bool]:
    """What the release badge showed before the view: the services, asked per leaf."""
    with rt.db.session(read_only=True) as session:
        cp = cosign.latest_witnessed(rt, session, min_size=leaf + 1)
        witnessed = cp is not None
        if cp is None:
            cp = stored_log.latest_checkpoint(session)
        if cp is None or cp.size <= leaf:
            return None, (), False
        names = tuple(sorted({c.witness_name for c in cosign.witnessed_by(rt, session, cp)}))
        return cp.size, names, witnessed


def _shown(view: LogView, leaf: int) -> tuple[int | None, tuple[str, ...], bool]:
    cp, witnessed = view.badge_checkpoint(leaf)
    return (cp.size, cp.witnesses, witnessed) if cp is not None else (None, (), False)


def _agrees(rt: Runtime, size: int) -> None:
    view = _view(rt)
    for leaf in range(size + 2):
        assert _shown(view, leaf) == _expected(rt, leaf), leaf


def test_the_view_answers_every_leaf_as_the_services_do(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    assert _view(rt).latest is None and _view(rt).witnessed is None
    skey, vkey = generate_witness_signer("news.example/witness")
    witness_trust.add_witness(rt, vkey, actor="test")
    add_events(rt, 4)
    first = checkpoints.seal_and_checkpoint(rt)
    _cosign(rt, skey, first.note)
    add_events(rt, 3, start_at=4)
    second = checkpoints.seal_and_checkpoint(rt)  # signed, not cosigned
    assert second.size > first.size
    _agrees(rt, second.size)
    view = _view(rt)
    assert view.witnessed is not None and view.witnessed.size == first.size
    assert view.witnessed.witnesses == ("news.example/witness",)
    assert _shown(view, first.size - 1) == (first.size, ("news.example/witness",), True)
    assert _shown(view, first.size) == (second.size, (), False)  # newer than the witnessed
    assert _shown(view, second.size) == (None, (), False)  # not in any checkpoint yet

    _cosign(rt, skey, second.note)  # the next page sees it: a cosignature changes the version
    _agrees(rt, second.size)
    assert _shown(_view(rt), first.size) == (second.size, ("news.example/witness",), True)


def test_a_witness_removed_or_deleted_stops_counting_on_the_next_page(
    any_db_runtime: Runtime,
) -> None:
    rt = any_db_runtime
    vkey, cp = _witnessed_log(rt)

    witness_trust.remove_witness(rt, vkey, actor="test", reason="the MOU ended")
    assert _shown(_view(rt), 0) == (cp.size, (), False)
    _agrees(rt, cp.size)

    # accepted again, then the row deleted in the database behind Sunlight's back
    witness_trust.add_witness(rt, vkey, actor="test")
    assert _shown(_view(rt), 0)[2] is True
    with rt.db.engine.begin() as conn:
        conn.execute(delete(LedgerWitness))
    assert _shown(_view(rt), 0) == (cp.size, (), False)
    _agrees(rt, cp.size)


def test_a_row_edited_in_place_is_seen_within_the_ttl(any_db_runtime: Runtime) -> None:
    """What the version cannot see (a key swapped in place, no row count or id changing)
    lasts no longer than VIEW_TTL."""
    rt = any_db_runtime
    _, cp = _witnessed_log(rt)
    _, fake = generate_witness_signer("news.example/witness")
    with rt.db.engine.begin() as conn:
        conn.execute(update(LedgerWitness).values(vkey=fake))
    later = NOW + VIEW_TTL + timedelta(seconds=1)
    assert _shown(_view(rt, later), 0) == (cp.size, (), False)
