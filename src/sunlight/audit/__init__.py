"""The access record: who reached which evidence, when, why and under which rule; refused
attempts; and the chain-of-custody report of one recording with its ledger proof.

Read-only queries over ``custody_events`` (and the ledger), each one index range, a page
at a time: the archive holds millions of events.
"""
