"""The ObjectStore contract, run against every back end (``store`` is parametrized)."""

from __future__ import annotations

import io
import os
import random
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from sunlight.storage import IntegrityError, ObjectNotFound, ObjectStore
from tests.storage.conftest import Backend
from tests.storage.streams import MiB, digest_of, generator_stream, pseudo_random_chunks, sha

UNKNOWN = "0" * 64


def read_all(store: ObjectStore, digest: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(store.iter_range(digest, start, end))


T = TypeVar("T")


def peak_memory(action: Callable[[], T]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        result = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


# -- writing --------------------------------------------------------------------------------


def test_put_stream_returns_digest_and_size(store: ObjectStore) -> None:
    data = random.Random(1).randbytes(1000)
    stored = store.put_stream(io.BytesIO(data))
    assert (stored.sha256, stored.size, stored.created) == (sha(data), 1000, True)
    assert store.exists(stored.sha256)
    assert store.size(stored.sha256) == 1000
    assert read_all(store, stored.sha256) == data


def test_progress_reports_every_byte(store: ObjectStore) -> None:
    data = random.Random(2).randbytes(3 * MiB + 17)
    seen: list[int] = []
    store.put_stream(io.BytesIO(data), progress=seen.append)
    assert sum(seen) == len(data)


def test_empty_object(store: ObjectStore) -> None:
    stored = store.put_stream(io.BytesIO(b""))
    assert (stored.sha256, stored.size) == (sha(b""), 0)
    assert store.size(stored.sha256) == 0
    assert read_all(store, stored.sha256) == b""
    assert store.verify(stored.sha256)


def test_same_bytes_twice_are_stored_once(backend: Backend) -> None:
    store = backend.store
    data = b"the same bytes"
    first = store.put_stream(io.BytesIO(data))
    second = store.put_stream(io.BytesIO(data))
    again_named = store.put_stream(io.BytesIO(data), expected_sha256=sha(data))
    assert first.created
    assert not second.created
    assert not again_named.created
    assert first.sha256 == second.sha256 == again_named.sha256
    assert list(store.iter_objects()) == [first.sha256]
    assert backend.leftovers() == []


@pytest.mark.parametrize("size", [1000, 17 * MiB], ids=["small", "multipart"])
def test_expected_sha256_mismatch_stores_nothing(backend: Backend, size: int) -> None:
    store = backend.store
    kept = store.put_stream(io.BytesIO(b"already here"))
    data = random.Random(3).randbytes(size)
    with pytest.raises(IntegrityError):
        store.put_stream(io.BytesIO(data), expected_sha256=sha(b"something else"))
    assert list(store.iter_objects()) == [kept.sha256]
    assert not store.exists(sha(data))
    assert backend.leftovers() == []


def test_mismatch_against_an_existing_object_is_still_refused(store: ObjectStore) -> None:
    existing = store.put_stream(io.BytesIO(b"stored first"))
    with pytest.raises(IntegrityError):
        store.put_stream(io.BytesIO(b"other bytes"), expected_sha256=existing.sha256)
    assert read_all(store, existing.sha256) == b"stored first"


def test_put_file_move_with_known_hash(store: ObjectStore, tmp_path: Path) -> None:
    data = random.Random(4).randbytes(5000)
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    stored = store.put_file(path, sha256=sha(data), move=True)
    assert (stored.sha256, stored.size, stored.created) == (sha(data), 5000, True)
    assert not path.exists()
    assert read_all(store, stored.sha256) == data

    path.write_bytes(data)
    again = store.put_file(path, sha256=sha(data), move=True)
    assert not again.created
    assert not path.exists()
    assert list(store.iter_objects()) == [stored.sha256]


def test_put_file_copy_keeps_the_file(store: ObjectStore, tmp_path: Path) -> None:
    path = tmp_path / "poster.jpg"
    path.write_bytes(b"jpeg bytes")
    stored = store.put_file(path)
    assert path.read_bytes() == b"jpeg bytes"
    assert stored.sha256 == sha(b"jpeg bytes")


def test_put_file_with_a_wrong_hash_stores_nothing(backend: Backend, tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(b"actual bytes")
    with pytest.raises(IntegrityError):
        backend.store.put_file(path, sha256=sha(b"claimed bytes"))
    assert path.exists()
    assert list(backend.store.iter_objects()) == []
    assert backend.leftovers() == []


def test_large_object_streams_with_constant_memory(backend: Backend) -> None:
    store = backend.store
    size = 40 * MiB + 12345  # several 16 MiB parts on S3, the last one short
    expected = digest_of(pseudo_random_chunks(size, seed=5))

    stored, peak = peak_memory(
        lambda: store.put_stream(generator_stream(pseudo_random_chunks(size, 5)))
    )
    assert (stored.sha256, stored.size, stored.created) == (expected, size, True)
    assert peak < 36 * MiB, f"upload held {peak / MiB:.1f} MiB"

    read_back, peak = peak_memory(lambda: digest_of(store.iter_range(expected)))
    assert read_back == expected
    assert peak < 12 * MiB, f"download held {peak / MiB:.1f} MiB"

    tail_start = size - 3 * MiB - 5
    assert (
        read_all(store, expected, tail_start)
        == b"".join(pseudo_random_chunks(size, seed=5))[tail_start:]
    )

    # The same bytes again (through the staging path on S3) and under their known name.
    again = store.put_stream(generator_stream(pseudo_random_chunks(size, 5)))
    named = store.put_stream(
        generator_stream(pseudo_random_chunks(size, 5)), expected_sha256=expected
    )
    assert not again.created
    assert not named.created
    assert list(store.iter_objects()) == [expected]
    assert backend.leftovers() == []


def test_large_object_with_a_known_hash(backend: Backend) -> None:
    size = 20 * MiB + 1
    expected = digest_of(pseudo_random_chunks(size, seed=6))
    stored = backend.store.put_stream(
        generator_stream(pseudo_random_chunks(size, 6)), expected_sha256=expected
    )
    assert (stored.sha256, stored.size, stored.created) == (expected, size, True)
    assert backend.store.verify(expected)
    assert backend.leftovers() == []


# -- reading --------------------------------------------------------------------------------

DATA = random.Random(7).randbytes(10_000)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, None),
        (0, 9999),
        (0, 0),  # the first byte
        (9999, 9999),  # the last byte
        (9999, None),
        (5000, 5000),  # one byte in the middle
        (1234, 5678),
        (1, 9998),
        (9000, 20_000),  # an end past the last byte stops at the last byte
        (10_000, None),  # a start past the last byte reads nothing
    ],
)
def test_iter_range_exact_bytes(store: ObjectStore, start: int, end: int | None) -> None:
    digest = store.put_stream(io.BytesIO(DATA)).sha256
    want = DATA[start : None if end is None else end + 1]
    assert read_all(store, digest, start, end) == want
    small_chunks = list(store.iter_range(digest, start, end, chunk_size=333))
    assert b"".join(small_chunks) == want
    assert all(len(chunk) <= 333 for chunk in small_chunks)


def test_unknown_digest_is_not_found(store: ObjectStore, tmp_path: Path) -> None:
    assert not store.exists(UNKNOWN)
    with pytest.raises(ObjectNotFound):
        store.size(UNKNOWN)
    with pytest.raises(ObjectNotFound):
        read_all(store, UNKNOWN)
    with pytest.raises(ObjectNotFound):
        store.verify(UNKNOWN)
    with pytest.raises(ObjectNotFound):
        store.fetch_to(UNKNOWN, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert store.delete(UNKNOWN) is False


@pytest.mark.parametrize(
    "bad", ["", "abc", "A" * 64, "g" * 64, "0" * 63, "0" * 65, "../" + "0" * 61]
)
def test_invalid_digest_is_a_value_error(store: ObjectStore, tmp_path: Path, bad: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: store.exists(bad),
        lambda: store.size(bad),
        lambda: read_all(store, bad),
        lambda: store.verify(bad),
        lambda: store.delete(bad),
        lambda: store.fetch_to(bad, tmp_path / "out"),
        lambda: store.put_file(tmp_path / "in", sha256=bad, move=True),
    ]
    (tmp_path / "in").write_bytes(b"x")
    for call in calls:
        with pytest.raises(ValueError, match="SHA-256"):
            call()


def test_fetch_to(store: ObjectStore, tmp_path: Path) -> None:
    digest = store.put_stream(io.BytesIO(DATA)).sha256
    out = tmp_path / "work" / "original"
    out.parent.mkdir()
    store.fetch_to(digest, out)
    assert out.read_bytes() == DATA
    assert [p.name for p in out.parent.iterdir()] == ["original"]


def test_iter_objects_lists_every_digest(store: ObjectStore) -> None:
    digests = {store.put_stream(io.BytesIO(bytes([i]) * 10)).sha256 for i in range(5)}
    assert set(store.iter_objects()) == digests
    assert len(list(store.iter_objects())) == 5


def test_delete(store: ObjectStore) -> None:
    keep = store.put_stream(io.BytesIO(b"keep")).sha256
    gone = store.put_stream(io.BytesIO(b"gone")).sha256
    assert store.delete(gone) is True
    assert not store.exists(gone)
    with pytest.raises(ObjectNotFound):
        read_all(store, gone)
    assert list(store.iter_objects()) == [keep]
    assert store.delete(gone) is False
    # Deleted bytes can come back (a re-ingest), as a new object.
    assert store.put_stream(io.BytesIO(b"gone")).created


def test_verify_detects_tampering(backend: Backend) -> None:
    store = backend.store
    digest = store.put_stream(io.BytesIO(DATA)).sha256
    assert store.verify(digest) is True
    backend.tamper(digest, b"X" + DATA[1:])
    assert store.verify(digest) is False


def test_put_file_link_keeps_the_source(store: ObjectStore, tmp_path: Path) -> None:
    data = random.Random(41).randbytes(2 * MiB + 3)
    source = tmp_path / "staged.bin"
    source.write_bytes(data)
    stored = store.put_file(source, sha256=sha(data), link=True)
    assert (stored.sha256, stored.size, stored.created) == (sha(data), len(data), True)
    assert source.read_bytes() == data  # the caller removes it once its row is committed
    assert read_all(store, stored.sha256) == data
    again = store.put_file(source, sha256=sha(data), link=True)
    assert (again.created, source.exists()) == (False, True)
    source.unlink()
    assert store.verify(stored.sha256)  # the stored copy does not depend on the source
    with pytest.raises(ValueError):
        store.put_file(tmp_path / "x", link=True)


def test_stored_at_is_when_the_object_arrived(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "old.bin"
    source.write_bytes(b"written long ago")
    os.utime(source, (0, 0))  # a staged file's age says nothing about the object's
    stored = store.put_file(source, sha256=sha(b"written long ago"), link=True)
    arrived = store.stored_at(stored.sha256)
    assert abs(arrived - datetime.now(UTC)) < timedelta(minutes=5)
    with pytest.raises(ObjectNotFound):
        store.stored_at(UNKNOWN)
