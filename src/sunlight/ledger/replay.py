"""What the custody events say ``ledger_witnesses`` holds: each witness the log counts
(its name, verifier key and who accepted it), added by a ``witness.add`` event and gone
after a ``witness.remove``. A row no event backs (a witness key inserted in the database to
forge cosignatures) is a finding; the ledger never trusts such a row either
(:func:`sunlight.ledger.witness_trust.stored_witnesses`). Registered with the replay when
imported."""

from __future__ import annotations

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import Event, State, audited_table, projects
from sunlight.ledger.models import WITNESS_OBJECT

WITNESSES = "ledger_witnesses"

audited_table(WITNESSES, ("name", "vkey", "added_by"))


@projects(Action.WITNESS_ADD, Action.WITNESS_REMOVE)
def _witness(event: Event, state: State) -> None:
    key = event.object_key
    if event.object_type != WITNESS_OBJECT or key is None:
        return
    if event.action == Action.WITNESS_REMOVE:
        state.remove(WITNESSES, key)
        return
    state.create(
        WITNESSES,
        key,
        {
            "name": event.details.get("name"),
            "vkey": event.details.get("vkey"),
            "added_by": event.actor,
        },
    )
