"""Sunlight's tamper-evident ledger: an RFC 9162 Merkle log with C2SP signed checkpoints.

Modules:

* :mod:`sunlight.ledger.verify` -- the offline verifier. It depends only on the Python
  standard library and ``cryptography`` so that anyone can audit it and check Sunlight's
  proofs and checkpoints without trusting the server. It also holds the one implementation
  of the Merkle hashing functions.
* :mod:`sunlight.ledger.bundle` -- the offline proof-bundle checker (same dependencies).
* :mod:`sunlight.ledger.tree` -- server-side proof generation from stored hashes of
  complete subtrees, in O(log n) node reads per proof.
* :mod:`sunlight.ledger.canonical` and :mod:`sunlight.ledger.entry` -- RFC 8785 canonical
  JSON, and how a custody event becomes a leaf (public fields plus a salted commitment to
  the private ones).
* :mod:`sunlight.ledger.models` -- tables; :mod:`sunlight.ledger.config` -- settings and
  the log key; :mod:`sunlight.ledger.state` -- the checkpoint file beside the key (the
  latest checkpoint signed, out of a database edit's reach).
* The server side, one job a module (each imports only those above it in this list):
  :mod:`sunlight.ledger.errors` -- the ledger's errors and refusals;
  :mod:`sunlight.ledger.stored_log` -- the stored tree, the writer lock, the log's size and
  latest checkpoint; :mod:`sunlight.ledger.log_identity` -- the log's key and identity;
  :mod:`sunlight.ledger.sealing` -- custody events sealed into leaves;
  :mod:`sunlight.ledger.witness_trust` -- the witnesses the log trusts, added and removed;
  :mod:`sunlight.ledger.cosign` -- witness cosignatures and which checkpoints they cover;
  :mod:`sunlight.ledger.checkpoints` -- signing checkpoints, and the sealing tick;
  :mod:`sunlight.ledger.restore` -- letting a restored copy sign again;
  :mod:`sunlight.ledger.proofs` -- proofs, entries and proof bundles.
* :mod:`sunlight.ledger.integrity` -- audit checks of that file and of every stored witness
  cosignature.
* :mod:`sunlight.ledger.audit` -- ``sunlight audit``; :mod:`sunlight.ledger.witness` --
  ``sunlight witness``; :mod:`sunlight.ledger.api` -- the public ``/log`` endpoints;
  :mod:`sunlight.ledger.cli` -- the commands.

See docs/ledger.md.
"""
