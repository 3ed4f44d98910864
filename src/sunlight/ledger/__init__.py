"""Sunlight's tamper-evident ledger: an RFC 9162 Merkle log with C2SP signed checkpoints.

Modules:

* :mod:`sunlight.ledger.verify` -- the offline verifier. It depends only on the Python
  standard library and ``cryptography`` so that anyone can audit it and check Sunlight's
  proofs and checkpoints without trusting the server. It also holds the one implementation
  of the Merkle hashing functions.
* :mod:`sunlight.ledger.tree` -- server-side proof generation from stored hashes of
  complete subtrees, in O(log n) node reads per proof.
"""
