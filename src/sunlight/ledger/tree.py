"""Server-side Merkle tree: appends and proofs from stored complete-subtree hashes.

The log never rereads its leaves to answer a query. It stores the hash of every *complete*
subtree -- every perfectly balanced subtree all of whose leaves exist -- addressed by
``NodeId(level, index)``: the node at (level, index) covers leaves
``[index * 2**level, (index + 1) * 2**level)``. Level 0 holds the leaf hashes. These
hashes never change once written (the log is append-only), so any tree size up to the
current one can be served from the same table.

For a tree size that is not a power of two, the RFC 9162 section 2.1.1 tree is not
complete; its root and the hashes in its proofs are combined on the fly from at most
log2(n) complete subtrees, exactly as the RFC's recursive definition prescribes. Every
operation here reads O(log n) stored nodes, fetched in a single
:meth:`HashStore.get_nodes` call so that a database-backed store needs one query.

Hashing comes from :mod:`sunlight.ledger.verify` so that the server and the offline
verifier share one implementation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sunlight.ledger.verify import EMPTY_ROOT, HASH_SIZE, node_hash

__all__ = [
    "HashStore",
    "MemoryHashStore",
    "MerkleTree",
    "NodeId",
    "consistency_proof_ranges",
    "inclusion_proof_ranges",
    "subtree_nodes",
]


@dataclass(frozen=True, slots=True)
class NodeId:
    """Address of a complete subtree: it covers leaves [index * 2^level, (index+1) * 2^level)."""

    level: int
    index: int


class HashStore(Protocol):
    """Read access to stored complete-subtree hashes.

    Implementations: :class:`MemoryHashStore` (tests, tools) and a database-backed store.
    Writing is left to the caller, who stores what :meth:`MerkleTree.append` returns in
    the same transaction as the leaves themselves.
    """

    def get_nodes(self, ids: Sequence[NodeId]) -> Sequence[bytes]:
        """Return the hashes of ``ids``, in the same order.

        Raises:
            KeyError: if any of the nodes is not stored.
        """
        ...


class MemoryHashStore:
    """An in-memory :class:`HashStore` backed by a dict."""

    def __init__(self) -> None:
        self._nodes: dict[NodeId, bytes] = {}

    def get_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        return [self._nodes[i] for i in ids]

    def put_nodes(self, nodes: Mapping[NodeId, bytes]) -> None:
        """Store new nodes. Rewriting a stored node with a different hash is refused: the
        stored hashes describe an append-only log and must never change."""
        for node_id, value in nodes.items():
            old = self._nodes.get(node_id)
            if old is not None and old != value:
                raise ValueError(f"refusing to overwrite node {node_id}")
        self._nodes.update(nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def snapshot(self) -> dict[NodeId, bytes]:
        """A copy of every stored node (for tests and tools)."""
        return dict(self._nodes)


def _check_size(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer")


def _largest_power_of_two_below(n: int) -> int:
    """The split point k of RFC 9162 section 2.1.1 for a range of n >= 2 leaves."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_nodes(start: int, end: int) -> list[NodeId]:
    """Return the complete subtrees that make up the RFC 9162 subtree over [start, end).

    The range must be one that occurs in the RFC's recursion: non-empty, with ``start``
    a multiple of the smallest power of two >= its length. Then the range is the
    concatenation of complete subtrees whose sizes are the binary digits of
    ``end - start``, largest first, and its hash is their right fold (see ``_fold``).
    """
    length = end - start
    if start < 0 or length <= 0:
        raise ValueError("subtree range must be non-empty")
    if start % (1 << (length - 1).bit_length()):
        raise ValueError("subtree range does not start on a subtree boundary")
    nodes: list[NodeId] = []
    position = start
    for level in reversed(range(length.bit_length())):
        if length >> level & 1:
            nodes.append(NodeId(level, position >> level))
            position += 1 << level
    return nodes


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of a range's complete subtrees (left to right, sizes
    decreasing) into the range's RFC 9162 hash.

    In MTH(D[n]) the left part D[0:k] is the largest complete subtree, so the remaining
    subtrees always nest to the right: MTH = H(a, H(b, H(c, ...))).
    """
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form the inclusion proof of leaf ``index`` in a tree of
    ``size`` leaves, ordered from the leaf upwards.

    This is RFC 9162 section 2.1.3.1, ``PATH(m, D[n])``, unrolled into a loop::

        PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])       for m < k
        PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])   for m >= k
    """
    _check_size(index, "index")
    _check_size(size, "size")
    if index >= size:
        raise ValueError("index must be smaller than size")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _largest_power_of_two_below(end - start)
        if index < mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start = mid
    # The recursion appends the sibling *after* the deeper path, so reverse.
    ranges.reverse()
    return ranges


def consistency_proof_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges whose hashes form the consistency proof from ``size1`` to ``size2``
    (0 < size1 <= size2); empty when the sizes are equal.

    This is RFC 9162 section 2.1.4.1 unrolled into a loop::

        PROOF(m, D[n])          = SUBPROOF(m, D[n], true)
        SUBPROOF(m, D[m], true)  = {}
        SUBPROOF(m, D[m], false) = {MTH(D[m])}
        SUBPROOF(m, D[n], b)     = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          m <= k
        SUBPROOF(m, D[n], b)     = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  m > k

    Here ``m`` is tracked as an absolute leaf position (``size1``).
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    if size1 == 0:
        raise ValueError("a consistency proof from the empty tree is meaningless")
    if size1 > size2:
        raise ValueError("size1 must not be larger than size2")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size2
    # b of the RFC: true while the old tree is a prefix of the current range starting at
    # leaf 0, in which case the verifier already knows its hash (it is root1).
    whole_prefix = True
    while size1 != end:
        mid = start + _largest_power_of_two_below(end - start)
        if size1 <= mid:
            ranges.append((mid, end))
            end = mid
        else:
            ranges.append((start, mid))
            start = mid
            whole_prefix = False
    if not whole_prefix:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


class MerkleTree:
    """RFC 9162 tree operations over a :class:`HashStore`.

    The store does not know the tree size; callers pass it (it is the size of the latest
    checkpoint, or any earlier size). Asking for a size larger than what has been stored
    raises ``KeyError`` from the store.
    """

    def __init__(self, store: HashStore) -> None:
        self.store = store

    def _range_hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """Hash each leaf range, reading all needed stored nodes in one batch."""
        plans = [subtree_nodes(start, end) for start, end in ranges]
        wanted = list(dict.fromkeys(node for plan in plans for node in plan))
        fetched = dict(zip(wanted, self.store.get_nodes(wanted), strict=True))
        return [_fold([fetched[node] for node in plan]) for plan in plans]

    def append(self, size: int, leaf_hashes: Iterable[bytes]) -> dict[NodeId, bytes]:
        """Return the nodes to store when ``leaf_hashes`` are appended to a tree of ``size``.

        The result contains the new leaves (level 0) and every subtree they complete:
        appending leaf 7 completes (1, 3), (2, 1) and (3, 0). Only the complete subtrees
        of the current tree that are still waiting for a right sibling (at most log2(size)
        nodes) are read. Nothing is written; the caller stores the result.
        """
        _check_size(size, "size")
        # The current tree's complete subtrees, left to right: exactly the nodes that can
        # become left siblings of new nodes.
        frontier = subtree_nodes(0, size) if size else []
        known: dict[NodeId, bytes] = dict(
            zip(frontier, self.store.get_nodes(frontier), strict=True) if frontier else []
        )
        new: dict[NodeId, bytes] = {}
        index = size
        for h in leaf_hashes:
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise ValueError(f"leaf hashes must be {HASH_SIZE} bytes")
            node, value = NodeId(0, index), h
            new[node] = known[node] = value
            # A right child (odd index) completes its parent; cascade upwards.
            while node.index & 1:
                left = known.pop(NodeId(node.level, node.index - 1))
                del known[node]
                node, value = NodeId(node.level + 1, node.index >> 1), node_hash(left, value)
                new[node] = known[node] = value
            index += 1
        return new

    def root(self, size: int) -> bytes:
        """Return the root hash of the tree of ``size`` leaves (RFC 9162 MTH)."""
        _check_size(size, "size")
        if size == 0:
            return EMPTY_ROOT
        return self._range_hashes([(0, size)])[0]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size``."""
        return self._range_hashes(inclusion_proof_ranges(index, size))

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        """Return the RFC 9162 consistency proof from ``size1`` to ``size2``."""
        return self._range_hashes(consistency_proof_ranges(size1, size2))
