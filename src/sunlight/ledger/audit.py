"""`sunlight audit`: recompute the ledger from the custody event rows and check it against
every signed checkpoint, then re-hash every stored object.

Nothing here trusts the ledger's own derived tables: leaf hashes are rebuilt from the
``custody_events`` rows and the stored salts, the tree is rebuilt from those leaf hashes,
and each root is compared with the root in a checkpoint whose signature verifies with the
log key. A database administrator who drops the append-only triggers and edits, deletes,
inserts or reorders event rows (or the ledger's own rows) is caught here; one who also
rewrites the checkpoints cannot forge the log key's signature, and witnesses hold copies.

Findings:

* ``edited``: an event row no longer produces the entry that was sealed for it.
* ``reordered``: an event row holds the content sealed for another event.
* ``deleted``: a sealed event's row, or a leaf of the log, is gone.
* ``inserted``: an event row that appears behind already-sealed history (an id below
  sealed ids, dated well before them) rather than at the end.
* ``leaf``: a stored leaf whose hash does not match its stored entry.
* ``checkpoint``: a checkpoint whose signature fails, or whose root the rows no longer give.
* ``node``: the stored subtree hashes that proofs are served from no longer match the
  signed roots (sampled).
* ``object``: a stored object whose bytes no longer hash to its name, or a recording whose
  original is missing from the store.
* ``orphan``: a stored object (older than a few minutes) that no recording, derivative,
  redaction plan or retention row refers to, reported with its SHA-256 and size.
* ``replay``: a row of an evidence table (recordings, flags, incident links, custody,
  holds, deletions, plans, ...) that differs from what replaying every custody event,
  sealed or not yet sealed, says it must hold; or a row no event created, or one an event
  created that is gone. Each names the table, the row and the field.

The audit is a list of checks (:data:`CHECKS`), each a function of the runtime and the
report; every check streams in batches, so memory stays flat as the archive grows.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.evidence.orphans import find_orphans
from sunlight.evidence.replay import Difference, replay
from sunlight.ledger import integrity, stored_log
from sunlight.ledger.entry import EventFields, build_entry
from sunlight.ledger.errors import LedgerError
from sunlight.ledger.log_identity import identity
from sunlight.ledger.models import LedgerCheckpoint, LedgerLeaf
from sunlight.ledger.verify import (
    EMPTY_ROOT,
    VerificationError,
    leaf_hash,
    node_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from sunlight.runtime import Runtime
from sunlight.storage import StorageError

#: An out-of-order event dated more than this before the events sealed ahead of it is
#: reported as inserted (a transaction that commits late is seconds behind, not this).
INSERT_GRACE = timedelta(minutes=10)
#: Most mismatching leaves examined pairwise to tell a reorder from an edit.
MAX_PAIRING = 2000
#: Findings of one kind listed one by one in a report; the rest are counted.
MAX_LISTED_PER_KIND = 1000
#: Checkpoints and leaves whose proofs from the stored subtree hashes are spot-checked.
NODE_SAMPLES = 64
#: Replay differences listed per table; the rest are counted.
MAX_REPLAY_FINDINGS = 1000


@dataclass
class Finding:
    kind: str
    detail: str
    leaf_index: int | None = None
    event_id: int | None = None
    # ``replay`` findings: where the tables differ from the custody events.
    table: str | None = None
    row: str | None = None
    field: str | None = None
    expected: Any = None
    found: Any = None


class FindingList(list[Finding]):
    """The audit's findings, at most :data:`MAX_LISTED_PER_KIND` of each kind listed;
    every finding is counted (``counts``), so a log edited wholesale cannot make the
    audit's memory grow with the archive."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(items)
        self.counts: dict[str, int] = {}
        for item in self:
            if isinstance(item, Finding):
                self.counts[item.kind] = self.counts.get(item.kind, 0) + 1

    def append(self, finding: Finding) -> None:
        seen = self.counts.get(finding.kind, 0)
        self.counts[finding.kind] = seen + 1
        if seen < MAX_LISTED_PER_KIND:
            super().append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.append(finding)

    def __iadd__(self, findings: Iterable[Finding]) -> FindingList:  # type: ignore[override,misc]
        self.extend(findings)
        return self

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class AuditReport:
    log_size: int = 0
    events_checked: int = 0
    #: Custody events not yet sealed into the log (audited by the replay, not the log).
    events_unsealed: int = 0
    #: Events replayed (every successful event that states a fact, sealed or not) and
    #: table rows compared with what they say.
    events_replayed: int = 0
    rows_checked: int = 0
    checkpoints_checked: int = 0
    objects_checked: int = 0
    seconds: float = 0.0
    findings: FindingList = field(default_factory=FindingList)

    @property
    def ok(self) -> bool:
        return self.findings.total == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "ok": self.ok,
            "finding_counts": dict(self.findings.counts),
            "findings_not_listed": self.findings.total - len(self.findings),
        }


class RootAccumulator:
    """Streams leaf hashes in; gives the RFC 9162 root of the tree so far in O(log n)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (level, hash) of complete subtrees

    def add(self, digest: bytes) -> None:
        level, value = 0, digest
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            value = node_hash(left, value)
            level += 1
        self._stack.append((level, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = node_hash(left, value)
        return value


def _fields(row: Any, event_id: int | None = None) -> EventFields:
    return EventFields(
        id=row.id if event_id is None else event_id,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        outcome=row.outcome,
        reason=row.reason,
        details=row.details or {},
    )


def _rows(session: Session) -> Iterator[Any]:
    query = (
        select(
            LedgerLeaf.leaf_index,
            LedgerLeaf.event_id,
            LedgerLeaf.leaf_hash,
            LedgerLeaf.entry,
            LedgerLeaf.salt,
            CustodyEvent.id,
            CustodyEvent.occurred_at,
            CustodyEvent.actor,
            CustodyEvent.action,
            CustodyEvent.object_type,
            CustodyEvent.object_id,
            CustodyEvent.outcome,
            CustodyEvent.reason,
            CustodyEvent.details,
        )
        .outerjoin(CustodyEvent, CustodyEvent.id == LedgerLeaf.event_id)
        .order_by(LedgerLeaf.leaf_index)
        .execution_options(yield_per=5000)
    )
    yield from session.execute(query)


def _check_checkpoints(runtime: Runtime, session: Session, report: AuditReport) -> dict[int, bytes]:
    """Verify every checkpoint's signature; return {size: signed root} of the good ones."""
    ident = None
    roots: dict[int, bytes] = {}
    query = (
        select(LedgerCheckpoint.size, LedgerCheckpoint.root, LedgerCheckpoint.note)
        .order_by(LedgerCheckpoint.size)
        .execution_options(yield_per=1000)
    )
    for cp in session.execute(query):  # columns, streamed: no ORM objects piling up
        ident = ident or identity(runtime)  # no key is needed (nor created) for an empty log
        report.checkpoints_checked += 1
        try:
            parsed, _ = open_checkpoint(cp.note, ident.verifier_key, origin=ident.origin)
        except VerificationError as exc:
            report.findings.append(
                Finding("checkpoint", f"checkpoint {cp.size}: signature does not verify: {exc}")
            )
            continue
        if parsed.size != cp.size or parsed.root_hash != cp.root:
            report.findings.append(
                Finding("checkpoint", f"checkpoint {cp.size}: row differs from its signed note")
            )
        roots[parsed.size] = parsed.root_hash
    return roots


def audit_ledger(runtime: Runtime, report: AuditReport) -> None:
    with runtime.db.session(read_only=True) as session:
        signed = _check_checkpoints(runtime, session, report)
        pending = sorted(signed)
        acc = RootAccumulator()
        if pending and pending[0] == 0 and signed[pending.pop(0)] != EMPTY_ROOT:
            report.findings.append(Finding("checkpoint", "checkpoint 0 has a non-empty root"))
        mismatched: list[tuple[int, Any, bytes, bytes]] = []  # index, row, stored, salt
        expected_index = 0
        newest_id = -1
        newest_time = None
        for row in _rows(session):
            index = row.leaf_index
            while expected_index < index:
                report.findings.append(
                    Finding("deleted", f"leaf {expected_index} is missing", expected_index)
                )
                acc.add(b"\0" * 32)  # keep positions; any checkpoint past here will fail
                expected_index += 1
            expected_index += 1
            stored = row.leaf_hash
            if leaf_hash(row.entry) != stored:
                report.findings.append(
                    Finding(
                        "leaf", "stored leaf hash does not match its entry", index, row.event_id
                    )
                )
            if row.id is None:
                report.findings.append(
                    Finding("deleted", f"custody event {row.event_id} is gone", index, row.event_id)
                )
                acc.add(stored)  # unknown content: fall back on what was sealed
            else:
                report.events_checked += 1
                digest = leaf_hash(build_entry(_fields(row), row.salt))
                if digest != stored:
                    mismatched.append((index, row, stored, row.salt))
                acc.add(digest)
                if row.id < newest_id and newest_time is not None:
                    if row.occurred_at < newest_time - INSERT_GRACE:
                        report.findings.append(
                            Finding(
                                "inserted",
                                "event sealed behind newer events, dated well before them",
                                index,
                                row.id,
                            )
                        )
                elif row.id > newest_id:
                    if newest_time is not None and row.occurred_at < newest_time - INSERT_GRACE:
                        report.findings.append(
                            Finding(
                                "inserted",
                                "event appended after newer events, backdated well before them",
                                index,
                                row.id,
                            )
                        )
                    else:
                        newest_time = row.occurred_at
                    newest_id = row.id
            while pending and pending[0] == acc.size:
                size = pending.pop(0)
                if acc.root() != signed[size]:
                    report.findings.append(
                        Finding(
                            "checkpoint",
                            f"checkpoint {size}: the event rows no longer give its signed root",
                        )
                    )
        report.log_size = acc.size
        for size in pending:
            report.findings.append(
                Finding(
                    "deleted",
                    f"checkpoint {size} was signed but the log now has only {acc.size} leaves",
                )
            )
        _classify(mismatched, report)
        _unsealed(session, newest_id, report)
        _check_nodes(session, signed, acc.size, report)


def _classify(mismatched: list[tuple[int, Any, bytes, bytes]], report: AuditReport) -> None:
    """Tell content moved between rows (reordered) from content changed (edited)."""
    moved: set[int] = set()
    if len(mismatched) <= MAX_PAIRING:
        for i, row_i, _, _ in mismatched:
            for j, row_j, stored_j, salt_j in mismatched:
                if (
                    i != j
                    and leaf_hash(build_entry(_fields(row_i, row_j.event_id), salt_j)) == stored_j
                ):
                    moved.add(i)
                    report.findings.append(
                        Finding(
                            "reordered",
                            f"the row of event {row_i.event_id} holds the content sealed "
                            f"for event {row_j.event_id} (leaf {j})",
                            i,
                            row_i.event_id,
                        )
                    )
                    break
    for i, row, _, _ in mismatched:
        if i not in moved:
            report.findings.append(
                Finding(
                    "edited", "the event row no longer matches its sealed entry", i, row.event_id
                )
            )


def _check_nodes(
    session: Session, signed: dict[int, bytes], size: int, report: AuditReport
) -> None:
    """Proofs are served from ``ledger_nodes``: check that those stored hashes still give
    the signed roots (the latest checkpoint and a sample of others) and that sampled
    inclusion and consistency proofs verify against them."""
    sizes = sorted(s for s in signed if 0 < s <= size)
    if not sizes:
        return
    rng = random.Random(len(sizes))
    sample = sorted({sizes[-1], *rng.sample(sizes, min(len(sizes), NODE_SAMPLES))})
    tree = stored_log.tree_for(session)
    latest = sizes[-1]
    try:
        for cp_size in sample:
            if tree.root(cp_size) != signed[cp_size]:
                raise VerificationError(f"they no longer give the root of checkpoint {cp_size}")
            if cp_size != latest:
                proof = tree.consistency_proof(cp_size, latest)
                verify_consistency(cp_size, latest, proof, signed[cp_size], signed[latest])
        leaves = [rng.randrange(latest) for _ in range(NODE_SAMPLES)]
        stored = dict(
            session.execute(
                select(LedgerLeaf.leaf_index, LedgerLeaf.leaf_hash).where(
                    LedgerLeaf.leaf_index.in_(leaves)
                )
            ).all()
        )
        for index in leaves:
            if index in stored:
                proof = tree.inclusion_proof(index, latest)
                verify_inclusion(stored[index], index, latest, proof, signed[latest])
    except (VerificationError, KeyError) as exc:
        report.findings.append(
            Finding("node", f"stored subtree hashes (ledger_nodes) are damaged: {exc}")
        )


def _unsealed(session: Session, newest_id: int, report: AuditReport) -> None:
    report.events_unsealed = int(
        session.scalar(
            select(func.count())
            .select_from(CustodyEvent)
            .outerjoin(LedgerLeaf, LedgerLeaf.event_id == CustodyEvent.id)
            .where(LedgerLeaf.leaf_index.is_(None))
        )
        or 0
    )
    if newest_id < 0:
        return
    newest_time = session.scalar(
        select(CustodyEvent.occurred_at).where(CustodyEvent.id == newest_id)
    )
    if newest_time is None:
        return
    rows = session.execute(
        select(CustodyEvent.id, CustodyEvent.occurred_at)
        .outerjoin(LedgerLeaf, LedgerLeaf.event_id == CustodyEvent.id)
        .where(LedgerLeaf.leaf_index.is_(None))
        .order_by(CustodyEvent.id)
        .execution_options(yield_per=5000)
    )
    latest = newest_time
    for event_id, occurred_at in rows:
        if occurred_at < latest - INSERT_GRACE:
            where = "behind sealed history" if event_id < newest_id else "after newer events"
            report.findings.append(
                Finding(
                    "inserted",
                    f"unsealed event {where}, dated well before them",
                    None,
                    event_id,
                )
            )
        elif occurred_at > latest:
            latest = occurred_at


def audit_objects(
    runtime: Runtime, report: AuditReport, progress: Callable[[str], None] | None = None
) -> None:
    store = runtime.store
    for sha in store.iter_objects():
        report.objects_checked += 1
        try:
            good = store.verify(sha)
        except StorageError as exc:
            good = False
            if progress:
                progress(f"{sha}: {exc}")
        if not good:
            report.findings.append(
                Finding("object", f"stored object {sha} no longer matches its SHA-256")
            )
    query = select(Recording.id, Recording.sha256)
    deleted_at = getattr(Recording, "deleted_at", None)
    if deleted_at is not None:  # bytes disposed of under the retention schedule
        query = query.where(deleted_at.is_(None))
    with runtime.db.session(read_only=True) as session:
        for rec_id, sha in session.execute(query.execution_options(yield_per=5000)):
            if not store.exists(sha):
                report.findings.append(
                    Finding("object", f"recording {rec_id}: original {sha} is missing")
                )
    audit_orphans(runtime, report)


def audit_orphans(runtime: Runtime, report: AuditReport, *, now: datetime | None = None) -> None:
    """``orphan``: stored bytes no row refers to (see sunlight.evidence.orphans)."""
    for orphan in find_orphans(runtime, now=now or datetime.now(UTC)):
        report.findings.append(
            Finding(
                "orphan",
                f"{orphan.describe()}; `sunlight reconcile` records it if a staged upload "
                "describes it",
            )
        )


def audit_replay(runtime: Runtime, report: AuditReport) -> None:
    """Replay every custody event (sealed or not) and compare the evidence tables with it.

    At most ``MAX_REPLAY_FINDINGS`` differences per table are listed (memory stays bounded
    when a whole table was rewritten); a last finding per table counts the rest."""
    per_table: dict[str, int] = {}

    def found(diff: Difference) -> None:
        seen = per_table[diff.table] = per_table.get(diff.table, 0) + 1
        if seen > MAX_REPLAY_FINDINGS:
            return
        report.findings.append(
            Finding(
                "replay",
                diff.detail,
                event_id=diff.event_id,
                table=diff.table,
                row=diff.row,
                field=diff.field,
                expected=diff.expected,
                found=diff.found,
            )
        )

    with runtime.db.session(read_only=True) as session:
        if runtime.db.dialect == "postgresql":  # events and rows from one snapshot
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        stats = replay(session, found)
    report.events_replayed = stats.events
    report.rows_checked = stats.rows
    for table, count in sorted(per_table.items()):
        if count > MAX_REPLAY_FINDINGS:
            more = count - MAX_REPLAY_FINDINGS
            report.findings.append(
                Finding("replay", f"{table}: {more} more differences not listed", table=table)
            )


Check = Callable[[Runtime, AuditReport], None]


#: The audit's checks, run in order. Another module may append one (e.g. the published
#: checkpoint and cosignature checks); each adds its findings to the report.
def audit_integrity(runtime: Runtime, report: AuditReport) -> None:
    """The published checkpoint file and every stored cosignature (sunlight.ledger.integrity)."""
    report.findings += [Finding(kind, detail) for kind, detail in integrity.findings(runtime)]


CHECKS: list[Check] = [audit_ledger, audit_integrity, audit_replay]


def run_audit(runtime: Runtime, *, objects: bool = True) -> AuditReport:
    started = time.perf_counter()
    report = AuditReport()
    for check in CHECKS:
        try:
            check(runtime, report)
        except LedgerError as exc:
            report.findings.append(Finding("checkpoint", str(exc)))
    if objects:
        audit_objects(runtime, report)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def count_events(runtime: Runtime) -> int:
    with runtime.db.session(read_only=True) as session:
        return int(session.scalar(select(func.count()).select_from(CustodyEvent)) or 0)
