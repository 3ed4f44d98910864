"""The public proof of a release, as served at ``GET /api/public/releases/{id}/proof``::

    {
      "release": {"id": 3, "incident_type": "...", "incident_date": "2026-11-02",
                  "released_at": "...", "released_recording_id": 12,
                  "original_recording_id": 7},
      "released": <sunlight-proof-bundle/v1 of the released copy's ingest>,
      "original": <sunlight-proof-bundle/v1 of the original recording's ingest>
    }

Both bundles come without their ``disclosure`` (no private fields). Checking it proves,
with the pinned keys only: each bundle verifies (see :func:`sunlight_verify.bundle.check_bundle`);
each is the *ingest* of the recording the release names; both are in the same log; and,
with a file, that the file is the released copy (or the original) by SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sunlight_verify.bundle import BundleReport, check_bundle
from sunlight_verify.tlog import VerificationError

__all__ = ["ReleaseReport", "check_release_proof", "is_release_proof"]


@dataclass
class ReleaseReport:
    release: dict[str, Any]
    released: BundleReport
    original: BundleReport
    #: "released" or "original": which copy the checked file is; None without a file.
    file_is: str | None = None


def is_release_proof(document: Any) -> bool:
    return isinstance(document, dict) and {"release", "released", "original"} <= document.keys()


def _sha(report: BundleReport) -> str | None:
    hashes = report.entry.get("hashes")
    value = hashes.get("sha256") if isinstance(hashes, dict) else None
    return value if isinstance(value, str) else None


def check_release_proof(
    document: dict[str, Any],
    *,
    log_key: str | None = None,
    witness_keys: list[str] | None = None,
    min_witnesses: int | None = None,
    file_sha256: str | None = None,
    trust_bundle_keys: bool = False,
) -> ReleaseReport:
    """Verify a release proof; return what it proves.

    Raises:
        VerificationError: if any part does not verify, or the file is neither copy.
    """
    if not is_release_proof(document):
        raise VerificationError("not a release proof (release, released, original)")
    release = document["release"]
    if not isinstance(release, dict):
        raise VerificationError("the release proof's 'release' is not an object")
    reports: dict[str, BundleReport] = {}
    for part in ("released", "original"):
        bundle = document[part]
        if not isinstance(bundle, dict):
            raise VerificationError(f"the {part} bundle is not an object")
        try:
            report = check_bundle(
                bundle,
                log_key=log_key,
                witness_keys=witness_keys,
                min_witnesses=min_witnesses,
                trust_bundle_keys=trust_bundle_keys,
            )
        except VerificationError as exc:
            raise VerificationError(f"the {part} bundle: {exc}") from exc
        entry = report.entry
        obj = entry.get("object")
        named = release.get(f"{part}_recording_id")
        if entry.get("action") != "ingest":
            raise VerificationError(f"the {part} bundle is not an ingest entry")
        if (
            not isinstance(obj, dict)
            or obj.get("type") != "recording"
            or str(obj.get("id")) != str(named)
        ):
            raise VerificationError(
                f"the {part} bundle is the ingest of {obj!r}, not of recording {named!r}"
            )
        reports[part] = report
    if reports["released"].origin != reports["original"].origin:
        raise VerificationError("the released and original bundles are from different logs")
    result = ReleaseReport(
        release=release, released=reports["released"], original=reports["original"]
    )
    if file_sha256 is not None:
        if _sha(result.released) == file_sha256:
            result.file_is = "released"
        elif _sha(result.original) == file_sha256:
            result.file_is = "original"
        else:
            raise VerificationError(
                "the file is neither the released copy nor its original (SHA-256 differs)"
            )
    return result
