"""What the custody events say the release tables hold: each release case's state and
withholding, its transitions and extensions, the reviewed copies, each release's embargo,
publication and cancellation, and the court petitions and orders. Every release event
carries its case's rows as they stand after it (``release.common.case_facts``), so the
last event of a case states the whole case. Registered with the replay when imported."""

from __future__ import annotations

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import Event, State, as_column, audited_table, projects
from sunlight.release.common import CASE_FACTS

for _table, _columns in CASE_FACTS.items():
    audited_table(_table, _columns)


@projects(
    Action.RELEASE_CASE,
    Action.RELEASE_CANDIDATE,
    Action.RELEASE_REVIEW,
    Action.RELEASE_EXTENSION,
    Action.RELEASE_DECISION,
    Action.RELEASE_PUBLISH,
    Action.RELEASE_EMBARGO_WARNING,
    Action.COURT_PETITION,
    Action.COURT_ORDER,
    Action.COURT_ORDER_CONFIRM,
)
def _case(event: Event, state: State) -> None:
    facts = event.details.get("case_facts")
    if not isinstance(facts, dict):
        return
    for table, rows in facts.items():
        if table not in CASE_FACTS or not isinstance(rows, list):
            continue
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("id"), int):
                continue
            doc = {
                name: as_column(table, name, row[name]) for name in CASE_FACTS[table] if name in row
            }
            if state.get(table, row["id"]) is None:
                state.create(table, row["id"], doc)
            else:
                state.update(table, row["id"], **doc)
