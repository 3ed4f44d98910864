"""Re-export of :mod:`sunlight_verify.bundle`, the proof-bundle checker.

The one implementation lives in the stand-alone ``sunlight-verify`` package
(``packages/sunlight-verify``), which residents and newsrooms install on its own; this
module keeps the old import path working.
"""

from sunlight_verify.bundle import (
    BUNDLE_FORMAT,
    KEY_HINT,
    WITNESS_HINT,
    BundleReport,
    check_bundle,
)

__all__ = [
    "BUNDLE_FORMAT",
    "KEY_HINT",
    "WITNESS_HINT",
    "BundleReport",
    "check_bundle",
]
