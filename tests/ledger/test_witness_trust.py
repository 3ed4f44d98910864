"""Witnesses are custody: accepting or removing one is a custody event, and a witness row
that no event backs (a key inserted in the database to forge cosignatures) is reported by
the audit and never counts towards "witnessed"."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import insert, select
from tests.ledger.conftest import add_events

from sunlight.evidence.models import CustodyEvent
from sunlight.ledger import (
    checkpoints,
    cosign,
    errors,
    integrity,
    log_identity,
    proofs,
    sealing,
    stored_log,
    witness_trust,
)
from sunlight.ledger.audit import run_audit
from sunlight.ledger.models import LedgerCosignature, LedgerWitness
from sunlight.ledger.verify import (
    cosign_checkpoint,
    generate_witness_signer,
    open_checkpoint,
    parse_verifier_key,
)
from sunlight.runtime import Runtime


def _checkpoint_body(note: str) -> str:
    return note[: note.rfind("\n\n") + 1]


def _forge(rt: Runtime) -> tuple[int, str]:
    """What a database administrator can do: insert a witness key of their own and a
    cosignature made with it over the latest checkpoint. Returns (row id, verifier key)."""
    skey, vkey = generate_witness_signer("attacker.example/witness")
    verifier = parse_verifier_key(vkey)
    with rt.db.engine.begin() as conn:
        row_id = conn.execute(
            insert(LedgerWitness).values(
                name=verifier.name, vkey=verifier.vkey, added_by="cli:admin"
            )
        ).inserted_primary_key[0]
    with rt.db.session(read_only=True) as session:
        cp = stored_log.latest_checkpoint(session)
        assert cp is not None
        cp_id, body = cp.id, _checkpoint_body(cp.note)
    line = cosign_checkpoint(body, skey, int(time.time()))
    with rt.db.engine.begin() as conn:
        conn.execute(
            insert(LedgerCosignature).values(
                checkpoint_id=cp_id,
                witness_name=verifier.name,
                key_id=verifier.key_id.hex(),
                timestamp=int(time.time()),
                signature_line=line,
            )
        )
    return int(row_id), vkey


def test_a_forged_witness_row_is_reported_and_never_counts(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    add_events(rt, 5)
    checkpoints.seal_and_checkpoint(rt)
    row_id, vkey = _forge(rt)

    with rt.db.session(read_only=True) as session:
        assert vkey not in witness_trust.witness_keys(rt, session)
        backed, unbacked = witness_trust.stored_witnesses(session)
        assert backed == [] and [r.id for r in unbacked] == [row_id]
        # "Witnessed" (the /log page, /log/checkpoint?witnessed=true, proof bundles and the
        # public release page's "witnessed by") does not count the forged cosignature.
        assert cosign.latest_witnessed(rt, session) is None
        cp = stored_log.latest_checkpoint(session)
        assert cp is not None
        assert cosign.witnessed_by(rt, session, cp) == []
        assert "attacker.example" not in cosign.note_with_cosignatures(rt, session, cp)

    report = run_audit(rt, objects=False)
    replay = [f for f in report.findings if f.kind == "replay" and f.table == "ledger_witnesses"]
    assert [(f.row, f.field) for f in replay] == [(str(row_id), None)], replay
    assert "no custody event behind it" in replay[0].detail
    assert any(
        f.kind == "cosignature" and "not a configured witness key" in f.detail
        for f in report.findings
    )


def test_an_edited_witness_row_stops_counting(any_db_runtime: Runtime) -> None:
    """A DBA who swaps a real witness's key for their own in place."""
    rt = any_db_runtime
    add_events(rt, 3)
    checkpoints.seal_and_checkpoint(rt)
    _, real = generate_witness_signer("news.example/witness")
    row = witness_trust.add_witness(rt, real, actor="test")
    _, fake = generate_witness_signer("news.example/witness")
    with rt.db.engine.begin() as conn:
        conn.execute(
            LedgerWitness.__table__.update()
            .where(LedgerWitness.__table__.c.id == row.id)
            .values(vkey=fake)
        )
    with rt.db.session(read_only=True) as session:
        assert witness_trust.witness_keys(rt, session) == []
    report = run_audit(rt, objects=False)
    assert any(
        f.kind == "replay"
        and (f.table, f.row, f.field) == ("ledger_witnesses", str(row.id), "vkey")
        for f in report.findings
    ), [f.detail for f in report.findings]


def test_adding_and_removing_a_witness_are_custody_events(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    skey, vkey = generate_witness_signer("news.example/witness")
    row = witness_trust.add_witness(rt, vkey, actor="test", reason="MOU with the Star")
    assert witness_trust.add_witness(rt, vkey, actor="test").id == row.id  # idempotent, one event
    with rt.db.session(read_only=True) as session:
        events = session.scalars(
            select(CustodyEvent).where(CustodyEvent.object_type == "witness")
        ).all()
        assert [e.action for e in events] == ["witness.add"]
        verifier = parse_verifier_key(vkey)
        assert events[0].details["vkey"] == vkey
        assert events[0].details["key_id"] == verifier.key_id.hex()
        assert events[0].details["name"] == "news.example/witness"
        assert witness_trust.witness_keys(rt, session) == [vkey]
    add_events(rt, 2)
    cp = checkpoints.seal_and_checkpoint(rt)
    # The key's SHA-256 is public in the log's entry for the addition.
    with rt.db.session(read_only=True) as session:
        leaves = proofs.leaves_for_events(session, [events[0].id])
        assert events[0].details["vkey_sha256"] in leaves[events[0].id].entry.decode()
    cosign.add_cosignature(
        rt, _checkpoint_body(cp.note), cosign_checkpoint(_checkpoint_body(cp.note), skey, 1)
    )
    with rt.db.session(read_only=True) as session:
        assert cosign.latest_witnessed(rt, session) is not None
    assert run_audit(rt, objects=False).ok

    witness_trust.remove_witness(rt, vkey, actor="test", reason="MOU ended")
    with rt.db.session(read_only=True) as session:
        assert witness_trust.witness_keys(rt, session) == []
        assert cosign.latest_witnessed(rt, session) is None
    report = run_audit(rt, objects=False)
    # The witness's stored cosignature no longer verifies with a configured key: reported,
    # as before for a witness removed from the settings; the replay itself is clean.
    assert not [f for f in report.findings if f.kind == "replay"], report.findings


def test_an_unbacked_row_is_adopted_by_adding_it_again(embedded_runtime: Runtime) -> None:
    """A row kept from before witnesses were custody events (or planted) counts only once
    an operator accepts its key again with `ledger add-witness`."""
    rt = embedded_runtime
    _, vkey = generate_witness_signer("news.example/witness")
    with rt.db.engine.begin() as conn:
        conn.execute(
            insert(LedgerWitness).values(name="news.example/witness", vkey=vkey, added_by="x")
        )
    with rt.db.session(read_only=True) as session:
        assert witness_trust.witness_keys(rt, session) == []
    # adopting a row nobody recorded adding needs a reason (it may have been planted)
    with pytest.raises(errors.Rejected, match="no custody event behind it"):
        witness_trust.add_witness(rt, vkey, actor="cli:operator")
    with rt.db.session(read_only=True) as session:
        assert witness_trust.witness_keys(rt, session) == []
    witness_trust.add_witness(
        rt, vkey, actor="cli:operator", reason="Key confirmed with the witness"
    )
    with rt.db.session(read_only=True) as session:
        assert witness_trust.witness_keys(rt, session) == [vkey]
    assert not [f for f in run_audit(rt, objects=False).findings if f.kind == "replay"]


def test_integrity_counts_only_backed_witness_keys(embedded_runtime: Runtime) -> None:
    rt = embedded_runtime
    add_events(rt, 2)
    checkpoints.seal_and_checkpoint(rt)
    _forge(rt)
    kinds = [kind for kind, _ in integrity.findings(rt)]
    assert "cosignature" in kinds
    with rt.db.session(read_only=True) as session:
        cp = stored_log.latest_checkpoint(session)
        assert cp is not None
        open_checkpoint(cp.note, log_identity.identity(rt).verifier_key)


def test_a_stored_cosignature_that_does_not_verify_never_counts(any_db_runtime: Runtime) -> None:
    """A real witness's name and key id are public: a row inserted for it with a junk
    signature must not make the checkpoint read as witnessed."""
    rt = any_db_runtime
    add_events(rt, 4)
    checkpoints.seal_and_checkpoint(rt)
    skey, vkey = generate_witness_signer("news.example/witness")
    witness_trust.add_witness(rt, vkey, actor="test")
    verifier = parse_verifier_key(vkey)
    with rt.db.session(read_only=True) as session:
        cp = stored_log.latest_checkpoint(session)
        assert cp is not None
        cp_id, body = cp.id, _checkpoint_body(cp.note)
    prefix, signature = cosign_checkpoint(body, skey, int(time.time())).rsplit(" ", 1)
    junk = prefix + " " + ("A" * (len(signature.strip()) - 1)) + "=\n"
    with rt.db.engine.begin() as conn:
        conn.execute(
            insert(LedgerCosignature).values(
                checkpoint_id=cp_id,
                witness_name=verifier.name,
                key_id=verifier.key_id.hex(),
                timestamp=int(time.time()),
                signature_line=junk,
            )
        )
    with rt.db.session(read_only=True) as session:
        cp = stored_log.latest_checkpoint(session)
        assert cp is not None
        assert cosign.witnessed_by(rt, session, cp) == []
        assert "news.example" not in cosign.note_with_cosignatures(rt, session, cp)
    # an honest line from the witness, on the next checkpoint, is accepted and counts
    add_events(rt, 2)
    checkpoints.seal_and_checkpoint(rt)
    with rt.db.session(read_only=True) as session:
        cp = stored_log.latest_checkpoint(session)
        assert cp is not None and cp.id != cp_id
        body = _checkpoint_body(cp.note)
    cosign.add_cosignature(rt, body, cosign_checkpoint(body, skey, int(time.time())))
    with rt.db.session(read_only=True) as session:
        cp = stored_log.latest_checkpoint(session)
        assert cp is not None
        assert [c.witness_name for c in cosign.witnessed_by(rt, session, cp)] == [verifier.name]


def test_an_acceptance_counts_only_once_sealed(any_db_runtime: Runtime) -> None:
    """A witness.add event row that is not in the log (say, slipped in by a database
    administrator far behind the sealed ones, where the sealer never looks) makes nothing
    count; sealed, it is public, and counts. add_witness seals its own at once."""
    rt = any_db_runtime
    add_events(rt, 3)
    checkpoints.seal_and_checkpoint(rt)
    _, quiet = generate_witness_signer("quiet.example/witness")
    witness_trust._add_witness(rt, parse_verifier_key(quiet), actor="cli:admin", reason="x")
    with rt.db.session(read_only=True) as session:
        assert quiet not in witness_trust.witness_keys(rt, session)
    sealing.seal_pending(rt)
    with rt.db.session(read_only=True) as session:
        assert quiet in witness_trust.witness_keys(rt, session)
    _, public = generate_witness_signer("public.example/witness")
    witness_trust.add_witness(rt, public, actor="cli:admin", reason="Agreement")
    with rt.db.session(read_only=True) as session:
        assert public in witness_trust.witness_keys(rt, session)
