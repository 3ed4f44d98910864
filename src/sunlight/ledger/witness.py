"""Re-export of :mod:`sunlight_verify.witness`, the independent witness (``sunlight witness``).

The one implementation lives in the stand-alone ``sunlight-verify`` package
(``packages/sunlight-verify``), which outside parties install on its own; this module keeps
the old import path working.
"""

from sunlight_verify.witness import (
    KEY_FILE,
    VKEY_FILE,
    ForkDetected,
    Http,
    RunResult,
    WitnessError,
    init,
    run,
    verifier_key,
)

__all__ = [
    "KEY_FILE",
    "VKEY_FILE",
    "ForkDetected",
    "Http",
    "RunResult",
    "WitnessError",
    "init",
    "run",
    "verifier_key",
]
