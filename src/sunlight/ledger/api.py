"""Public, read-only HTTP endpoints of the custody ledger (and the witnesses' one POST).

Everything under ``/log`` needs no sign-in: the log holds no closed information (private
fields are committed by salted hashes). Responses for a fixed tree size never change and
are cacheable for a long time; the latest checkpoint is cacheable for a few seconds.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from sunlight.access import Permission
from sunlight.evidence.custody import Action
from sunlight.ledger import cosign, errors, log_identity, proofs, stored_log, witness_trust
from sunlight.ledger.config import ledger_settings
from sunlight.ledger.verify import VerificationError, open_checkpoint
from sunlight.runtime import Runtime
from sunlight.validation import MAX_ID, Id
from sunlight.web.access_log import log_read
from sunlight.web.deps import RuntimeDep
from sunlight.web.guard import Access, public, recording_for

#: The transparency log is public: anyone may check the archive's custody record.
_PUBLIC = [Depends(public())]
router = APIRouter(tags=["ledger"])

LATEST = "public, max-age=5"
STABLE = "public, max-age=3600"
IMMUTABLE = "public, max-age=31536000, immutable"


class ProofOut(BaseModel):
    index: int | None = None
    size: int | None = None
    leaf_hash: str | None = None
    from_size: int | None = Field(default=None, alias="from")
    to_size: int | None = Field(default=None, alias="to")
    proof: list[str]


class CosignatureIn(BaseModel):
    checkpoint: str = Field(description="The checkpoint note text (without signature lines).")
    cosignature: str = Field(description="One C2SP tlog-cosignature line: `— <name> <base64>`.")


def _json(document: Any, cache: str, status_code: int = 200) -> Response:
    return JSONResponse(document, status_code=status_code, headers={"Cache-Control": cache})


def _latest_size(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        cp = stored_log.latest_checkpoint(session)
    if cp is None:
        raise HTTPException(404, "the log has no signed checkpoint yet")
    return cp.size


@router.get(
    "/log/checkpoint",
    dependencies=_PUBLIC,
    response_class=PlainTextResponse,
    summary="Latest signed checkpoint with witness cosignatures (C2SP tlog-checkpoint)",
)
def checkpoint(
    runtime: RuntimeDep,
    witnessed: Annotated[
        bool, Query(description="Only a checkpoint cosigned by the witness quorum.")
    ] = False,
) -> Response:
    with runtime.db.session(read_only=True) as session:
        cp = (
            cosign.latest_witnessed(runtime, session)
            if witnessed
            else stored_log.latest_checkpoint(session)
        )
        if cp is None:
            raise HTTPException(404, "no such checkpoint yet")
        note = cosign.note_with_cosignatures(runtime, session, cp)
    return PlainTextResponse(note, headers={"Cache-Control": LATEST})


@router.get(
    "/log/key",
    dependencies=_PUBLIC,
    response_class=PlainTextResponse,
    summary="The log's verifier key (name+keyid+base64, Go sumdb/note format)",
)
def key(runtime: RuntimeDep) -> Response:
    # Read-only: never creates a key (a host without one answers 404), and never serves a
    # key that did not sign the log's checkpoints (a replica holding another key: 503).
    try:
        ident = log_identity.identity(runtime)
    except errors.NoLogKey as exc:
        raise HTTPException(404, str(exc)) from exc
    vkey = ident.verifier_key
    with runtime.db.session(read_only=True) as session:
        latest = stored_log.latest_checkpoint(session)
    if latest is not None:
        try:
            open_checkpoint(latest.note, vkey, origin=ident.origin)
        except VerificationError as exc:
            raise HTTPException(
                503,
                f"this host's key {vkey} did not sign the log's checkpoints (signed by "
                f"{log_identity.describe_signer(latest.note)}): install the log's key file at "
                f"{ident.settings.key_file}",
            ) from exc
    return PlainTextResponse(vkey + "\n", headers={"Cache-Control": STABLE})


@router.get(
    "/log/witnesses",
    dependencies=_PUBLIC,
    summary="Witness keys whose cosignatures this log counts",
)
def witnesses(runtime: RuntimeDep) -> Response:
    with runtime.db.session(read_only=True) as session:
        keys = witness_trust.witness_keys(runtime, session)
    quorum = ledger_settings(runtime.settings).witness_quorum
    return _json({"quorum": quorum, "witnesses": keys}, LATEST)


@router.get(
    "/log/proof/inclusion",
    dependencies=_PUBLIC,
    response_model=ProofOut,
    summary="RFC 9162 inclusion proof of a leaf (by hash or index) in the tree of `size`",
)
def inclusion(
    runtime: RuntimeDep,
    leaf_hash: Annotated[str | None, Query(pattern="^[0-9a-f]{64}$")] = None,
    index: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    size: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Default: latest checkpoint")
    ] = None,
) -> Response:
    if (leaf_hash is None) == (index is None):
        raise HTTPException(422, "give exactly one of leaf_hash and index")
    tree_size = size if size is not None else _latest_size(runtime)
    with runtime.db.session(read_only=True) as session:
        if index is None:
            assert leaf_hash is not None
            index = proofs.leaf_index_of(session, bytes.fromhex(leaf_hash))
        proof = proofs.inclusion_proof(session, index, tree_size)
        digest = proofs.entries(session, index, index + 1)[0].leaf_hash.hex()
    return _json(
        {"index": index, "size": tree_size, "leaf_hash": digest, "proof": [p.hex() for p in proof]},
        IMMUTABLE if size is not None else LATEST,
    )


@router.get(
    "/log/proof/consistency",
    dependencies=_PUBLIC,
    response_model=ProofOut,
    summary="RFC 9162 consistency proof between two tree sizes",
)
def consistency(
    runtime: RuntimeDep,
    from_size: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
    to_size: Annotated[
        int | None, Query(alias="to", ge=1, le=MAX_ID, description="Default: latest")
    ] = None,
) -> Response:
    size2 = to_size if to_size is not None else _latest_size(runtime)
    with runtime.db.session(read_only=True) as session:
        proof = proofs.consistency_proof(session, from_size, size2)
    return _json(
        {"from": from_size, "to": size2, "proof": [p.hex() for p in proof]},
        IMMUTABLE if to_size is not None else LATEST,
    )


@router.get(
    "/log/entries",
    dependencies=_PUBLIC,
    summary=f"Entries by leaf index, [start, end), at most {proofs.MAX_ENTRIES}",
)
def entries(
    runtime: RuntimeDep,
    start: Annotated[int, Query(ge=0, le=MAX_ID)],
    end: Annotated[int, Query(ge=1, le=MAX_ID)],
) -> Response:
    with runtime.db.session(read_only=True) as session:
        leaves = proofs.entries(session, start, end)
        full = len(leaves) == min(end - start, proofs.MAX_ENTRIES)
    document = {
        "entries": [
            {"index": x.leaf_index, "leaf_hash": x.leaf_hash.hex(), "entry": x.entry.decode()}
            for x in leaves
        ]
    }
    return _json(document, IMMUTABLE if full else LATEST)


@router.get(
    "/log/lookup",
    dependencies=_PUBLIC,
    summary="Leaves whose entry names a SHA-256 (find a file's ingest)",
)
def lookup(
    runtime: RuntimeDep, sha256: Annotated[str, Query(pattern="^[0-9a-f]{64}$")]
) -> Response:
    with runtime.db.session(read_only=True) as session:
        leaves = proofs.leaves_for_sha256(session, sha256)
        found = [
            {
                "index": x.leaf_index,
                "leaf_hash": x.leaf_hash.hex(),
                "action": json.loads(x.entry).get("action"),
            }
            for x in leaves
        ]
    return _json({"sha256": sha256, "leaves": found}, LATEST)


@router.post(
    "/log/cosignatures",
    dependencies=_PUBLIC,
    status_code=201,
    summary="A witness submits its cosignature of a checkpoint (verified before storing)",
)
def submit_cosignature(runtime: RuntimeDep, body: CosignatureIn) -> Response:
    try:
        row = cosign.add_cosignature(runtime, body.checkpoint, body.cosignature)
    except errors.Rejected as exc:
        raise HTTPException(403, str(exc)) from exc
    return _json(
        {"witness": row.witness_name, "key_id": row.key_id, "timestamp": row.timestamp},
        "no-store",
        status_code=201,
    )


@router.get(
    "/api/recordings/{recording_id}/proof",
    summary="Proof bundle of a recording's ingest (check offline: sunlight verify --bundle)",
)
def recording_proof(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_VIEW))],
) -> Response:
    # The bundle discloses the salt and the private fields of the ingest event (who
    # ingested, the filename, officer and camera), so it is staff-only until release.
    bundle = proofs.recording_bundle(runtime, recording_id)
    # Reading the custody record is itself an access to record (CJIS AU-2).
    log_read(
        runtime,
        access.principal,
        Action.VIEW,
        recording_id,
        now=access.now,
        reason=access.reason_text,
        details={"what": "ledger proof bundle", **access.log_details()},
    )
    return JSONResponse(
        bundle,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="recording-{recording_id}-proof.json"',
        },
    )


@router.get("/log", dependencies=_PUBLIC, response_class=HTMLResponse, include_in_schema=False)
def log_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    from sunlight.web.pages import render

    with runtime.db.session(read_only=True) as session:
        cp = stored_log.latest_checkpoint(session)
        cosigs = cosign.witnessed_by(runtime, session, cp) if cp is not None else []
        note = cosign.note_with_cosignatures(runtime, session, cp) if cp is not None else None
        keys = witness_trust.witness_keys(runtime, session)
        size = stored_log.ledger_size(session)
    ls = ledger_settings(runtime.settings)
    try:
        ident = log_identity.identity(runtime)
        log_key, origin = ident.verifier_key, ident.origin
    except errors.NoLogKey:
        log_key, origin = "(no key yet: the log has not signed anything)", ls.origin
    return render(
        request,
        "log.html",
        checkpoint=cp,
        note=note,
        cosignatures=cosigs,
        witness_keys=keys,
        quorum=ls.witness_quorum,
        log_key=log_key,
        origin=origin,
        size=size,
        base_url=str(request.base_url).rstrip("/"),
    )
