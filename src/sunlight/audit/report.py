"""The chain-of-custody report of one recording: what a court receives.

The recording's facts and SHA-256, every custody event in order (who, when, what, outcome,
why), and, for each event sealed into the ledger, its proof: the leaf, the disclosure of
its private fields, and an RFC 9162 inclusion proof to one signed checkpoint, given in full
with its witness cosignatures. :func:`verify_report` checks every proof with the ledger's
own offline verifier (:func:`sunlight.ledger.bundle.check_bundle`), one bundle per event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.errors import NotFound
from sunlight.evidence import service as evidence
from sunlight.evidence.models import CustodyEvent
from sunlight.ledger import cosign, errors, log_identity, proofs, stored_log, witness_trust
from sunlight.ledger.bundle import BUNDLE_FORMAT, BundleReport, check_bundle
from sunlight.ledger.entry import EventFields, private_part
from sunlight.ledger.models import LedgerCheckpoint
from sunlight.ledger.verify import VerificationError
from sunlight.runtime import Runtime

REPORT_FORMAT = "sunlight-custody-report/v1"


@dataclass(frozen=True)
class ReportCheck:
    """What :func:`verify_report` proved."""

    checkpoint_size: int
    verified_events: list[int]
    pending_events: list[int]
    witnesses: list[str]


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _recording_facts(session: Session, recording_id: int) -> dict[str, Any]:
    rec = evidence.get_recording(session, recording_id)
    return {
        "id": rec.id,
        "title": rec.title,
        "original_filename": rec.original_filename,
        "sha256": rec.sha256,
        "size_bytes": rec.size_bytes,
        "recorded_at": _when(rec.recorded_at),
        "ingested_at": _when(rec.ingested_at),
        "ingest_source": rec.ingest_source,
        "duration_s": rec.duration_s,
        "officer": (
            f"{rec.officer.badge_number} · {rec.officer.name}" if rec.officer is not None else None
        ),
        "device": (
            f"{rec.device.vendor} {rec.device.model} · {rec.device.serial}"
            if rec.device is not None
            else None
        ),
        "deleted_at": _when(rec.deleted_at),
    }


def _fields(event: CustodyEvent) -> EventFields:
    return EventFields(
        id=event.id,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        outcome=event.outcome,
        reason=event.reason,
        details=event.details or {},
    )


def _checkpoint(runtime: Runtime, session: Session) -> tuple[LedgerCheckpoint | None, bool]:
    witnessed = cosign.latest_witnessed(runtime, session)
    if witnessed is not None:
        return witnessed, True
    return stored_log.latest_checkpoint(session), False


def custody_report(runtime: Runtime, session: Session, recording_id: int) -> dict[str, Any]:
    """The report as a JSON-ready document (the HTML page shows the same)."""
    recording = _recording_facts(session, recording_id)
    events = list(
        session.scalars(
            select(CustodyEvent)
            .where(
                CustodyEvent.object_type == "recording",
                CustodyEvent.object_id == str(recording_id),
            )
            .order_by(CustodyEvent.id)
        )
    )
    leaves = proofs.leaves_for_events(session, [e.id for e in events])
    checkpoint, witnessed = _checkpoint(runtime, session)
    log: dict[str, Any] | None = None
    try:
        ident = log_identity.identity(runtime)
        log = {
            "origin": ident.origin,
            "key": ident.verifier_key,
            "witnesses": witness_trust.witness_keys(runtime, session),
            "quorum": ident.settings.witness_quorum,
        }
    except errors.NoLogKey:
        checkpoint = None
    tree = stored_log.tree_for(session) if checkpoint is not None else None
    rows = []
    for event in events:
        row: dict[str, Any] = {
            "id": event.id,
            "occurred_at": event.occurred_at.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "outcome": event.outcome,
            "reason": event.reason,
            "rule": (event.details or {}).get("rule"),
            "details": event.details or {},
            "proof": None,
        }
        leaf = leaves.get(event.id)
        if (
            leaf is not None
            and checkpoint is not None
            and tree is not None
            and leaf.leaf_index < checkpoint.size
        ):
            proof = tree.inclusion_proof(leaf.leaf_index, checkpoint.size)
            row["proof"] = {
                "leaf_index": leaf.leaf_index,
                "leaf_hash": leaf.leaf_hash.hex(),
                "entry": leaf.entry.decode("utf-8"),
                "salt": leaf.salt.hex(),
                "private": private_part(_fields(event)).decode("utf-8"),
                "inclusion": [p.hex() for p in proof],
            }
        rows.append(row)
    return {
        "format": REPORT_FORMAT,
        "recording": recording,
        "events": rows,
        "log": log,
        "checkpoint": (
            {
                "size": checkpoint.size,
                "root": checkpoint.root.hex(),
                "created_at": _when(checkpoint.created_at),
                "note": cosign.note_with_cosignatures(runtime, session, checkpoint),
                "witnessed": witnessed,
                "cosigners": [
                    {"witness": c.witness_name, "key_id": c.key_id, "timestamp": c.timestamp}
                    for c in cosign.witnessed_by(runtime, session, checkpoint)
                ],
            }
            if checkpoint is not None and log is not None
            else None
        ),
    }


def event_bundle(report: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The standard proof bundle (``sunlight verify --bundle``) of one event of a report."""
    proof = event.get("proof")
    if not proof or not report.get("checkpoint") or not report.get("log"):
        raise NotFound(f"custody event {event.get('id')} is not sealed under the checkpoint")
    return {
        "format": BUNDLE_FORMAT,
        "log": report["log"],
        "leaf": {"index": proof["leaf_index"], "hash": proof["leaf_hash"], "entry": proof["entry"]},
        "disclosure": {"salt": proof["salt"], "private": proof["private"]},
        "inclusion": {"size": report["checkpoint"]["size"], "proof": proof["inclusion"]},
        "checkpoint": report["checkpoint"]["note"],
        "witnessed": report["checkpoint"]["witnessed"],
    }


def verify_report(
    report: dict[str, Any],
    *,
    log_key: str | None = None,
    witness_keys: list[str] | None = None,
    min_witnesses: int | None = None,
    trust_bundle_keys: bool = False,
) -> ReportCheck:
    """Check every sealed event's proof with the ledger's verifier, and that each proven
    entry is the event the report lists (same event id, action, object, outcome, actor,
    reason). Raises :class:`VerificationError` on the first that does not verify."""
    if report.get("format") != REPORT_FORMAT:
        raise VerificationError(f"not a {REPORT_FORMAT} document")
    recording_id = str(report["recording"]["id"])
    verified: list[int] = []
    pending: list[int] = []
    last: BundleReport | None = None
    for event in report["events"]:
        if not event.get("proof"):
            pending.append(event["id"])
            continue
        last = check_bundle(
            event_bundle(report, event),
            log_key=log_key,
            witness_keys=witness_keys,
            min_witnesses=min_witnesses,
            trust_bundle_keys=trust_bundle_keys,
        )
        entry, private = last.entry, last.private or {}
        expected = {
            "event": event["id"],
            "action": event["action"],
            "outcome": event["outcome"],
            "object": {"type": "recording", "id": recording_id},
        }
        if any(entry.get(k) != v for k, v in expected.items()) or (
            private.get("actor"),
            private.get("reason"),
        ) != (event["actor"], event["reason"]):
            raise VerificationError(f"the proof of event {event['id']} is for another event")
        if (
            event["action"] == "ingest"
            and (entry.get("hashes") or {}).get("sha256") != report["recording"]["sha256"]
        ):
            raise VerificationError("the ingest entry does not name the recording's SHA-256")
        verified.append(event["id"])
    return ReportCheck(
        checkpoint_size=report["checkpoint"]["size"] if report.get("checkpoint") else 0,
        verified_events=verified,
        pending_events=pending,
        witnesses=last.witnesses if last else [],
    )
