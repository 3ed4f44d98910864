"""Server-side tree (tree.py) checked against the offline verifier (verify.py).

One store of 4096 leaves is built once and shared: complete-subtree hashes never change,
so it serves every tree size up to 4096. Hypothesis draws sizes in 1..2000; flipped sizes
can reach 4095 and still get their genuine root from the same store.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunlight.ledger.tree import (
    MemoryHashStore,
    MerkleTree,
    NodeId,
    consistency_proof_ranges,
    inclusion_proof_ranges,
    subtree_nodes,
)
from sunlight.ledger.verify import (
    EMPTY_ROOT,
    VerificationError,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 2000  # sizes drawn by the properties
STORE_SIZE = 4096  # leaves in the shared store (covers every single-bit flip of 1..2000)
PROPERTY = settings(max_examples=150, deadline=None)


@functools.cache
def leaves() -> tuple[bytes, ...]:
    return tuple(leaf_hash(f"entry {i}".encode()) for i in range(STORE_SIZE))


@functools.cache
def shared_tree() -> MerkleTree:
    """A tree built by appending in uneven batches, like a real log would."""
    store = MemoryHashStore()
    tree = MerkleTree(store)
    rng = random.Random(9162)
    size = 0
    while size < STORE_SIZE:
        batch = list(leaves()[size : size + rng.randint(1, 70)])
        store.put_nodes(tree.append(size, batch))
        size += len(batch)
    return tree


@functools.cache
def root(size: int) -> bytes:
    return shared_tree().root(size)


@functools.cache
def reference_root(size: int) -> bytes:
    return root_from_leaf_hashes(leaves()[:size])


def flip_bit(value: bytes, bit: int) -> bytes:
    """Return ``value`` with one bit flipped (bit counted over the whole byte string)."""
    bit %= len(value) * 8
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def rejects(check: Callable[..., None], *args: object) -> bool:
    try:
        check(*args)
    except VerificationError:
        return True
    return False


def genuine_root(size: int, fallback: bytes) -> bytes:
    """The real root for ``size`` when the store has it, else ``fallback``.

    Sizes beyond the store only arise from flipping bits >= 12 of a size < 2048; such a
    size has a higher top bit than any drawn size, so the proof has the wrong length and
    must fail whatever root is given.
    """
    return root(size) if 0 <= size <= STORE_SIZE else fallback


# --- Roots -------------------------------------------------------------------------------


def test_empty_tree_root() -> None:
    assert shared_tree().root(0) == EMPTY_ROOT == root_from_leaf_hashes([])


def test_known_answer_root() -> None:
    """RFC 6962 test leaves (as used by transparency-dev/merkle): the 8-leaf root."""
    entries = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        bytes(range(0x60, 0x70)),
    ]
    expected = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    hashes = [leaf_hash(e) for e in entries]
    assert root_from_leaf_hashes(hashes) == expected
    store = MemoryHashStore()
    tree = MerkleTree(store)
    store.put_nodes(tree.append(0, hashes))
    assert tree.root(8) == expected


@PROPERTY
@given(size=st.integers(1, MAX_SIZE))
def test_root_matches_reference(size: int) -> None:
    assert root(size) == reference_root(size)


def test_small_trees_exhaustively() -> None:
    """Every proof of every tree up to 40 leaves verifies (cheap, catches edge cases)."""
    tree = shared_tree()
    for size in range(1, 41):
        assert root(size) == reference_root(size)
        for index in range(size):
            verify_inclusion(
                leaves()[index], index, size, tree.inclusion_proof(index, size), root(size)
            )
        for size1 in range(1, size + 1):
            proof = tree.consistency_proof(size1, size)
            verify_consistency(size1, size, proof, root(size1), root(size))


# --- Inclusion proofs ----------------------------------------------------------------------


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_SIZE))
    return size, draw(st.integers(0, size - 1))


@PROPERTY
@given(case=size_and_index(), bit=st.integers(0, 2**16), flip=st.integers(0, 63))
def test_inclusion_proofs_verify_and_detect_tampering(
    case: tuple[int, int], bit: int, flip: int
) -> None:
    size, index = case
    leaf = leaves()[index]
    proof = shared_tree().inclusion_proof(index, size)
    verify_inclusion(leaf, index, size, proof, root(size))

    # Any single-bit change to a proof element, the root or the leaf hash.
    if proof:
        element = bit % len(proof)
        tampered = [*proof]
        tampered[element] = flip_bit(proof[element], bit)
        assert rejects(verify_inclusion, leaf, index, size, tampered, root(size))
    assert rejects(verify_inclusion, leaf, index, size, proof, flip_bit(root(size), bit))
    assert rejects(verify_inclusion, flip_bit(leaf, bit), index, size, proof, root(size))

    # Any single-bit change to the index.
    assert rejects(verify_inclusion, leaf, index ^ (1 << flip), size, proof, root(size))

    # Any single-bit change to the size, checked against the genuine root of that size
    # (see test_inclusion_proof_alone_does_not_bind_the_size for why).
    other = size ^ (1 << flip)
    assert rejects(verify_inclusion, leaf, index, other, proof, genuine_root(other, root(size)))


@PROPERTY
@given(case=size_and_index())
def test_inclusion_proof_length_and_truncation(case: tuple[int, int]) -> None:
    size, index = case
    proof = shared_tree().inclusion_proof(index, size)
    assert len(proof) <= (size - 1).bit_length()
    if proof:
        assert rejects(verify_inclusion, leaves()[index], index, size, proof[:-1], root(size))
    assert rejects(
        verify_inclusion,
        leaves()[index],
        index,
        size,
        [*proof, proof[0] if proof else root(size)],
        root(size),
    )


def test_inclusion_proof_alone_does_not_bind_the_size() -> None:
    """Documents an RFC 9162 property, not a bug: the audit path of leaf 0 in a tree of
    5 leaves has the same shape as in a tree of 7 leaves, so verification with the size-5
    root succeeds for either size. The (size, root) pair is bound by the signed
    checkpoint; a verifier must take both from there, never one from elsewhere."""
    proof = shared_tree().inclusion_proof(0, 5)
    verify_inclusion(leaves()[0], 0, 5, proof, root(5))
    verify_inclusion(leaves()[0], 0, 7, proof, root(5))  # same shape, no error
    with pytest.raises(VerificationError):
        verify_inclusion(leaves()[0], 0, 7, proof, root(7))  # the real size-7 root


# --- Consistency proofs --------------------------------------------------------------------


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(1, MAX_SIZE))
    return draw(st.integers(1, size2)), size2


@PROPERTY
@given(sizes=two_sizes(), bit=st.integers(0, 2**16), flip=st.integers(0, 63))
def test_consistency_proofs_verify_and_detect_tampering(
    sizes: tuple[int, int], bit: int, flip: int
) -> None:
    size1, size2 = sizes
    root1, root2 = root(size1), root(size2)
    proof = shared_tree().consistency_proof(size1, size2)
    verify_consistency(size1, size2, proof, root1, root2)
    if size1 == size2:
        assert proof == []

    # Any single-bit change to a proof element or either root.
    if proof:
        element = bit % len(proof)
        tampered = [*proof]
        tampered[element] = flip_bit(proof[element], bit)
        assert rejects(verify_consistency, size1, size2, tampered, root1, root2)
    assert rejects(verify_consistency, size1, size2, proof, flip_bit(root1, bit), root2)
    assert rejects(verify_consistency, size1, size2, proof, root1, flip_bit(root2, bit))

    # Any single-bit change to size1: rejected with the original root1 and with the genuine
    # root of the new size.
    other1 = size1 ^ (1 << flip)
    assert rejects(verify_consistency, other1, size2, proof, root1, root2)
    assert rejects(verify_consistency, other1, size2, proof, genuine_root(other1, root1), root2)

    # Any single-bit change to size2, checked against the genuine root of the new size.
    other2 = size2 ^ (1 << flip)
    assert rejects(verify_consistency, size1, other2, proof, root1, genuine_root(other2, root2))


@PROPERTY
@given(sizes=two_sizes())
def test_consistency_proof_truncated_or_extended(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    proof = shared_tree().consistency_proof(size1, size2)
    root1, root2 = root(size1), root(size2)
    if proof:
        assert rejects(verify_consistency, size1, size2, proof[:-1], root1, root2)
        assert rejects(verify_consistency, size1, size2, proof[1:], root1, root2)
    assert rejects(verify_consistency, size1, size2, [*proof, root1], root1, root2)


def test_consistency_proof_does_not_bind_size2_alone() -> None:
    """Same RFC 9162 property as for inclusion proofs: (4 -> 5) and (4 -> 6) proofs have
    the same shape, so size2 must come from the signed checkpoint with root2."""
    proof = shared_tree().consistency_proof(4, 5)
    verify_consistency(4, 6, proof, root(4), root(5))  # no error
    with pytest.raises(VerificationError):
        verify_consistency(4, 6, proof, root(4), root(6))


# --- Appending and storage -------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.integers(1, 40), min_size=1, max_size=25))
def test_append_in_any_batches_gives_the_same_nodes(batches: list[int]) -> None:
    total = sum(batches)
    one_by_one = MemoryHashStore()
    tree1 = MerkleTree(one_by_one)
    for i in range(total):
        one_by_one.put_nodes(tree1.append(i, [leaves()[i]]))
    batched = MemoryHashStore()
    tree2 = MerkleTree(batched)
    size = 0
    for n in batches:
        batched.put_nodes(tree2.append(size, leaves()[size : size + n]))
        size += n
    assert one_by_one.snapshot() == batched.snapshot()
    # Exactly the complete subtrees: 2 * total - popcount(total) nodes.
    assert len(batched) == 2 * total - total.bit_count()
    assert tree2.root(total) == reference_root(total)


def test_append_returns_the_completed_subtrees() -> None:
    store = MemoryHashStore()
    tree = MerkleTree(store)
    store.put_nodes(tree.append(0, leaves()[:7]))
    new = tree.append(7, [leaves()[7]])
    assert set(new) == {NodeId(0, 7), NodeId(1, 3), NodeId(2, 1), NodeId(3, 0)}
    assert new[NodeId(3, 0)] == reference_root(8)
    store.put_nodes(new)
    assert tree.append(8, []) == {}


class CountingStore(MemoryHashStore):
    """Records every get_nodes call, to check the O(log n) read bound."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def get_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        self.calls.append(len(ids))
        return super().get_nodes(ids)


@functools.cache
def counting_tree() -> tuple[MerkleTree, CountingStore]:
    store = CountingStore()
    tree = MerkleTree(store)
    store.put_nodes(tree.append(0, leaves()[:MAX_SIZE]))
    return tree, store


@PROPERTY
@given(case=size_and_index(), sizes=two_sizes())
def test_proofs_read_few_nodes_in_one_batch(case: tuple[int, int], sizes: tuple[int, int]) -> None:
    tree, store = counting_tree()
    size, index = case
    log_size = size.bit_length()
    log_size2 = sizes[1].bit_length()
    operations: list[tuple[Callable[[], object], int]] = [
        (lambda: tree.root(size), log_size),
        (lambda: tree.inclusion_proof(index, size), 2 * log_size),
        (lambda: tree.consistency_proof(*sizes), 2 * log_size2),
        (lambda: tree.append(size, [leaves()[size]]), log_size),
    ]
    for operation, bound in operations:
        store.calls.clear()
        operation()
        assert len(store.calls) <= 1
        assert sum(store.calls) <= bound


def test_store_refuses_to_rewrite_history() -> None:
    store = MemoryHashStore()
    tree = MerkleTree(store)
    store.put_nodes(tree.append(0, leaves()[:4]))
    store.put_nodes(tree.append(0, leaves()[:4]))  # identical rewrite is harmless
    with pytest.raises(ValueError, match="overwrite"):
        store.put_nodes(tree.append(0, leaves()[1:5]))


def test_sizes_beyond_the_store_raise_key_error() -> None:
    store = MemoryHashStore()
    tree = MerkleTree(store)
    store.put_nodes(tree.append(0, leaves()[:10]))
    with pytest.raises(KeyError):
        tree.root(11)
    with pytest.raises(KeyError):
        tree.inclusion_proof(0, 12)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("inclusion_proof", (5, 5)),
        ("inclusion_proof", (-1, 5)),
        ("consistency_proof", (0, 5)),
        ("consistency_proof", (6, 5)),
        ("root", (-1,)),
        ("append", (-1, [])),
    ],
)
def test_invalid_arguments(call: str, args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError):
        getattr(shared_tree(), call)(*args)


def test_append_rejects_bad_leaf_hashes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleTree(MemoryHashStore()).append(0, [b"short"])


def test_proof_ranges_follow_the_rfc_recursion() -> None:
    # RFC 9162 section 2.1.5 example tree of 7 leaves (d0..d6).
    assert inclusion_proof_ranges(0, 7) == [(1, 2), (2, 4), (4, 7)]
    assert inclusion_proof_ranges(5, 7) == [(4, 5), (6, 7), (0, 4)]
    assert inclusion_proof_ranges(3, 7) == [(2, 3), (0, 2), (4, 7)]
    assert inclusion_proof_ranges(6, 7) == [(4, 6), (0, 4)]
    assert consistency_proof_ranges(3, 7) == [(2, 3), (3, 4), (0, 2), (4, 7)]
    assert consistency_proof_ranges(4, 7) == [(4, 7)]
    assert consistency_proof_ranges(6, 7) == [(4, 6), (6, 7), (0, 4)]
    assert consistency_proof_ranges(7, 7) == []


def test_subtree_nodes() -> None:
    assert subtree_nodes(0, 13) == [NodeId(3, 0), NodeId(2, 2), NodeId(0, 12)]
    assert subtree_nodes(8, 13) == [NodeId(2, 2), NodeId(0, 12)]
    assert subtree_nodes(4, 8) == [NodeId(2, 1)]
    with pytest.raises(ValueError, match="boundary"):
        subtree_nodes(2, 5)
    with pytest.raises(ValueError, match="non-empty"):
        subtree_nodes(3, 3)


def test_node_hash_is_not_a_leaf_hash() -> None:
    """Domain separation: a node over two hashes differs from a leaf over their concatenation."""
    a, b = leaves()[0], leaves()[1]
    assert node_hash(a, b) != leaf_hash(a + b)
