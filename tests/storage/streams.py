"""Streams for storage tests: bytes produced on demand, never held whole."""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Iterator
from typing import BinaryIO

MiB = 1024 * 1024


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class GeneratorStream(io.RawIOBase):
    """A read-only stream fed by a generator: the bytes never exist all at once."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def pseudo_random_chunks(size: int, seed: int, chunk: int = MiB) -> Iterator[bytes]:
    rng = random.Random(seed)
    remaining = size
    while remaining:
        n = min(chunk, remaining)
        yield rng.randbytes(n)
        remaining -= n


def digest_of(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def generator_stream(chunks: Iterator[bytes]) -> BinaryIO:
    """What ``open()`` would hand over, but fed by a generator."""
    return io.BufferedReader(GeneratorStream(chunks))
