"""Checking a file (or a release) against a Sunlight log's public HTTP API.

Only the pinned keys are trusted: what the server says about keys is only as good as the
server. Every answer is checked: the witnessed checkpoint's signatures, the entry's
inclusion in it, and that the log's latest checkpoint extends it (RFC 9162 consistency).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from sunlight_verify.bundle import BUNDLE_FORMAT, BundleReport, check_bundle
from sunlight_verify.http import Http, HttpResponse, UrllibClient
from sunlight_verify.jsonio import load_json
from sunlight_verify.release import ReleaseReport, check_release_proof
from sunlight_verify.tlog import Checkpoint, VerificationError, open_checkpoint, verify_consistency

__all__ = ["fetch_json", "get", "verify_release_remote", "verify_remote"]

Warn = Callable[[str], None]


def get(http: Http, url: str) -> HttpResponse:
    """GET ``url``; anything but HTTP 200 is a :class:`VerificationError`."""
    try:
        response = http.get(url)
    except OSError as exc:
        raise VerificationError(f"cannot fetch {url}: {exc}") from exc
    if response.status_code != 200:
        raise VerificationError(f"{url}: HTTP {response.status_code} {response.text[:200]}")
    return response


def fetch_json(http: Http, url: str) -> Any:
    return load_json(get(http, url).text, url)


def _pins(
    http: Http,
    base: str,
    log_key: str | None,
    witness_keys: list[str] | None,
    min_witnesses: int | None,
    trust_served_keys: bool,
    warn: Warn | None,
) -> tuple[str, list[str], int]:
    if log_key is None:
        if not trust_served_keys:
            raise VerificationError(
                f"no log key pinned: pin the log's published key with --log-key (served at "
                f"{base}/log/key; compare it with the department's own publication of it)"
            )
        log_key = get(http, f"{base}/log/key").text.strip()
        if warn:
            warn(f"trusting the log key served by {base} (--insecure-trust-bundle-keys)")
    published = fetch_json(http, f"{base}/log/witnesses")
    if not isinstance(published, dict):
        raise VerificationError(f"{base}/log/witnesses: not a JSON object")
    if witness_keys is None:
        witness_keys = [str(k) for k in published.get("witnesses", [])] if trust_served_keys else []
    if min_witnesses is None:
        try:
            quorum = int(published["quorum"])
        except (KeyError, TypeError, ValueError) as exc:
            raise VerificationError(f"{base}/log/witnesses: no quorum") from exc
        min_witnesses = quorum if trust_served_keys else max(quorum, 1)
    if min_witnesses > len(set(witness_keys)):
        raise VerificationError(
            f"{min_witnesses} witness cosignatures are required but {len(set(witness_keys))} "
            f"witness keys are pinned: pin them with --witness-key (listed at "
            f"{base}/log/witnesses; check them with the witnesses themselves), or accept an "
            "unwitnessed checkpoint with --min-witnesses 0"
        )
    return log_key, witness_keys, min_witnesses


def _extends(http: Http, base: str, log_key: str, origin: str, cp: Checkpoint) -> int:
    """Check that the log's latest checkpoint extends ``cp``; return its size."""
    latest_note = get(http, f"{base}/log/checkpoint").text
    latest, _ = open_checkpoint(latest_note, log_key, origin=origin)
    if latest.size > cp.size:
        doc = fetch_json(http, f"{base}/log/proof/consistency?from={cp.size}&to={latest.size}")
        try:
            proof = [bytes.fromhex(p) for p in doc["proof"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise VerificationError("the consistency proof is malformed") from exc
        verify_consistency(cp.size, latest.size, proof, cp.root_hash, latest.root_hash)
    elif latest.size < cp.size or (latest.size == cp.size and latest.root_hash != cp.root_hash):
        raise VerificationError(
            "the log's latest checkpoint is older than or forks from the witnessed one"
        )
    return latest.size


def verify_remote(
    sha: str,
    log_url: str,
    *,
    log_key: str | None,
    witness_keys: list[str] | None,
    min_witnesses: int | None,
    client: Http | None = None,
    trust_served_keys: bool = False,
    warn: Warn | None = None,
) -> tuple[BundleReport, dict[str, Any]]:
    """Verify a file's ingest (by its SHA-256) against a public log, over HTTP only.

    Trusts only the pinned ``log_key`` and ``witness_keys``, unless ``trust_served_keys``
    (testing)."""
    base = log_url.rstrip("/")
    http: Http = client if client is not None else UrllibClient()
    log_key, witness_keys, min_witnesses = _pins(
        http, base, log_key, witness_keys, min_witnesses, trust_served_keys, warn
    )
    found = fetch_json(http, f"{base}/log/lookup?sha256={quote(sha)}")
    leaves = found.get("leaves") if isinstance(found, dict) else None
    if not isinstance(leaves, list):
        raise VerificationError(f"{base}/log/lookup: no list of leaves")
    ingests = [x for x in leaves if isinstance(x, dict) and x.get("action") == "ingest"]
    if not ingests:
        raise VerificationError("this file is unknown to the log")
    index = int(ingests[0]["index"])
    suffix = "?witnessed=true" if min_witnesses > 0 else ""
    note = get(http, f"{base}/log/checkpoint{suffix}").text
    origin = log_key.split("+", 1)[0]
    cp, _ = open_checkpoint(
        note, log_key, witness_keys, min_cosignatures=min_witnesses, origin=origin
    )
    if cp.size <= index:
        raise VerificationError("the entry is not in a witnessed checkpoint yet; try later")
    entries = fetch_json(http, f"{base}/log/entries?start={index}&end={index + 1}")
    proof = fetch_json(http, f"{base}/log/proof/inclusion?index={index}&size={cp.size}")
    try:
        entry = entries["entries"][0]
        bundle = {
            "format": BUNDLE_FORMAT,
            "log": {
                "origin": origin,
                "key": log_key,
                "witnesses": witness_keys,
                "quorum": min_witnesses,
            },
            "leaf": {"index": index, "hash": entry["leaf_hash"], "entry": entry["entry"]},
            "inclusion": {"size": cp.size, "proof": proof["proof"]},
            "checkpoint": note,
        }
    except (KeyError, IndexError, TypeError) as exc:
        raise VerificationError(f"the log's answers are malformed: {exc!r}") from exc
    report = check_bundle(
        bundle,
        log_key=log_key,
        witness_keys=witness_keys,
        min_witnesses=min_witnesses,
        file_sha256=sha,
    )
    if trust_served_keys:
        report.keys_from_bundle = ["log key served by the log"]
    latest_size = _extends(http, base, log_key, origin, cp)
    return report, {"latest_size": latest_size}


def verify_release_remote(
    release_id: int,
    log_url: str,
    *,
    log_key: str | None,
    witness_keys: list[str] | None,
    min_witnesses: int | None,
    file_sha256: str | None = None,
    client: Http | None = None,
    trust_served_keys: bool = False,
    warn: Warn | None = None,
) -> tuple[ReleaseReport, dict[str, Any]]:
    """Fetch and check the public proof of release ``release_id``
    (``GET /api/public/releases/{id}/proof``), then check that the log's latest checkpoint
    extends the checkpoints it names."""
    base = log_url.rstrip("/")
    http: Http = client if client is not None else UrllibClient()
    log_key, witness_keys, min_witnesses = _pins(
        http, base, log_key, witness_keys, min_witnesses, trust_served_keys, warn
    )
    document = fetch_json(http, f"{base}/api/public/releases/{int(release_id)}/proof")
    if not isinstance(document, dict):
        raise VerificationError("the release proof is not a JSON object")
    report = check_release_proof(
        document,
        log_key=log_key,
        witness_keys=witness_keys,
        min_witnesses=min_witnesses,
        file_sha256=file_sha256,
    )
    origin = report.released.origin
    latest_size = 0
    for part in ("released", "original"):
        cp, _ = open_checkpoint(document[part]["checkpoint"], log_key, origin=origin)
        latest_size = _extends(http, base, log_key, origin, cp)
    return report, {"latest_size": latest_size}
