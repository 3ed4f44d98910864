"""RFC 9162 proof verification against the transparency-dev/merkle reference vectors.

The vectors live outside the repository, in /work/shared/testdata/merkle (see its
README.md). Every case with ``wantErr: false`` must verify, every ``wantErr: true`` case
must be rejected with VerificationError.

Folders used:

* ``inclusion/`` and ``consistency/`` -- plain RFC 9162 proofs.
* ``subtreeinclusion/`` cases with ``start == 0`` -- an inclusion proof in the subtree
  [0, end) is exactly an RFC 9162 inclusion proof in the tree of size ``end``.

Not used: ``subtreeconsistency/`` and ``subtreeinclusion/`` cases with ``start > 0``.
They test the subtree proofs of draft-ietf-plants-merkle-tree-certs, a different proof
type with different rules for empty subtrees.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

from sunlight.ledger.verify import VerificationError, verify_consistency, verify_inclusion

# tests/ledger/<this file> -> parents[2] is the repository root; shared/ is its sibling.
TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "merkle"
MISSING_REASON = f"Merkle reference vectors not found at {TESTDATA.resolve()}"


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _proof(case: dict[str, Any]) -> list[bytes]:
    # Some vectors store an empty proof as null.
    return [_b64(p) for p in case["proof"] or []]


def _collect() -> list[Any]:
    if not TESTDATA.is_dir():
        return [pytest.param(None, None, id="testdata-missing")]
    params: list[Any] = []
    for kind in ("inclusion", "consistency", "subtreeinclusion"):
        for path in sorted((TESTDATA / kind).rglob("*.json")):
            case = json.loads(path.read_text())
            if kind == "subtreeinclusion":
                if case["start"] != 0:
                    continue
                case = {**case, "treeSize": case["end"]}
                kind_used = "inclusion"
            else:
                kind_used = kind
            params.append(pytest.param(kind_used, case, id=str(path.relative_to(TESTDATA))))
    return params


def _check(kind: str, case: dict[str, Any]) -> None:
    if kind == "inclusion":
        verify_inclusion(
            _b64(case["leafHash"]),
            case["leafIdx"],
            case["treeSize"],
            _proof(case),
            _b64(case["root"]),
        )
    else:
        verify_consistency(
            case["size1"],
            case["size2"],
            _proof(case),
            _b64(case["root1"]),
            _b64(case["root2"]),
        )


@pytest.mark.parametrize(("kind", "case"), _collect())
def test_reference_vector(
    kind: str | None,
    case: dict[str, Any] | None,
    unavailable: Callable[[str], NoReturn],
) -> None:
    if kind is None or case is None:
        unavailable(MISSING_REASON)
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            _check(kind, case)
    else:
        _check(kind, case)


def test_reference_vectors_are_all_there(unavailable: Callable[[str], NoReturn]) -> None:
    """Guard against a silently empty or truncated vector folder."""
    if not TESTDATA.is_dir():
        unavailable(MISSING_REASON)
    for kind in ("inclusion", "consistency"):
        cases = [json.loads(p.read_text()) for p in (TESTDATA / kind).rglob("*.json")]
        assert len(cases) >= 98, kind
        assert any(c["wantErr"] for c in cases), kind
        assert any(not c["wantErr"] for c in cases), kind
