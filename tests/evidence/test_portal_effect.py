"""Every custody action is classified for the public cache (``custody.PORTAL_EFFECT``):
a new action that is in neither list fails here, so it cannot be forgotten; and every
table the write generation ignores (``db.engine.QUIET_TABLES``) exists."""

from __future__ import annotations

import pytest

from sunlight.access.audit import AuthAction
from sunlight.db.base import Base
from sunlight.db.engine import QUIET_TABLES
from sunlight.evidence.custody import PORTAL_EFFECT, PUBLIC, PUBLIC_ACTIONS, Action
from sunlight.evidence.models import CustodyEvent

ACTIONS = [*Action, *AuthAction]


@pytest.mark.parametrize("action", ACTIONS, ids=str)
def test_every_action_is_public_or_says_why_not(action: Action | AuthAction) -> None:
    assert action in PORTAL_EFFECT, (
        f"custody action {action!r} is neither public nor private for the public cache: "
        "add it to sunlight.evidence.custody.PORTAL_EFFECT (PUBLIC, or the reason it can "
        "never change a public answer)"
    )
    assert PORTAL_EFFECT[action].strip()


def test_the_table_names_only_actions_and_fits_the_column() -> None:
    assert set(PORTAL_EFFECT) == set(ACTIONS)
    width = CustodyEvent.__table__.c.action.type.length
    assert all(len(str(action)) <= width for action in PUBLIC_ACTIONS)
    assert {str(a) for a, why in PORTAL_EFFECT.items() if why == PUBLIC} == PUBLIC_ACTIONS


def test_the_working_day_s_writes_are_not_public() -> None:
    for action in (Action.VIEW, Action.STREAM, Action.DOWNLOAD, Action.INGEST, AuthAction.SIGN_IN):
        assert str(action) not in PUBLIC_ACTIONS
    for action in (Action.RELEASE_PUBLISH, Action.FLAG, Action.REQUEST_EVENT):
        assert str(action) in PUBLIC_ACTIONS


def test_every_quiet_table_exists() -> None:
    import sunlight.models  # noqa: F401  (every table registered)

    assert set(QUIET_TABLES) <= set(Base.metadata.tables)
    assert all(why.strip() for why in QUIET_TABLES.values())
