"""sunlight-verify: the offline verifier of a Sunlight log (stand-alone; only ``cryptography``).

Modules: :mod:`~sunlight_verify.tlog` (signed notes, checkpoints, RFC 9162 proofs),
:mod:`~sunlight_verify.bundle` (proof bundles), :mod:`~sunlight_verify.release` (release
proofs), :mod:`~sunlight_verify.remote` (checking a file against a public log over HTTP),
:mod:`~sunlight_verify.witness` (an independent witness) and :mod:`~sunlight_verify.cli`
(the ``sunlight-verify`` command).
"""

__version__ = "0.1.0"
