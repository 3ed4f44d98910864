"""Which version of each published policy is in force, recorded in the custody log.

When ``serve`` starts with a policy file whose SHA-256 differs from the last one recorded
(or none was recorded), it appends a ``policy.adopt`` event naming the policy, its version,
its SHA-256 and the one it replaces. So the record shows when each rule set took effect,
and every decision (which carries the policy's hash) can be tied to the file that made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import CustodyEvent


@dataclass(frozen=True)
class PolicyInForce:
    name: str  # access | retention | compliance | holidays
    version: str
    sha256: str


def last_adopted(session: Session, name: str) -> str | None:
    """The SHA-256 of the last recorded version of policy ``name``, if any."""
    event = session.scalars(
        select(CustodyEvent)
        .where(
            CustodyEvent.object_type == "policy",
            CustodyEvent.object_id == name,
            CustodyEvent.action == str(Action.POLICY_ADOPT),
        )
        .order_by(CustodyEvent.id.desc())
        .limit(1)
    ).first()
    return str(event.details.get("sha256")) if event is not None else None


def record_adoptions(session: Session, policies: list[PolicyInForce], *, actor: str) -> list[str]:
    """Record each policy whose file changed since it was last recorded; returns their names."""
    adopted = []
    for policy in policies:
        previous = last_adopted(session, policy.name)
        if previous == policy.sha256:
            continue
        record(
            session,
            actor=actor,
            action=Action.POLICY_ADOPT,
            object_type="policy",
            object_id=policy.name,
            details={"version": policy.version, "sha256": policy.sha256, "replaces": previous},
        )
        adopted.append(policy.name)
    return adopted
