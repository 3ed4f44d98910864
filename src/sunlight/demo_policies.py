"""Demo policy history and a proposal open for comment (``sunlight demo``), so that
``/public/policies`` shows a proposed change with its diff and comments.

The files in force are recorded (their text stored) as ``serve`` would; then a proposed
release policy version 2 (48 hours' warning before an embargo lifts, instead of 24) takes
comments until 30 days after the load date. Two demo comments: one approved with the
department's response (public), one pending moderation (not public). Idempotent: nothing is
proposed when the release policy already has a proposal or a second version.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sunlight.access.principal import Principal
from sunlight.db.base import utcnow
from sunlight.policies import service
from sunlight.policies.registry import in_force, kind
from sunlight.runtime import Runtime

SUMMARY = (
    "Warn the records unit 48 hours, not 24, before an embargoed release lifts, so that"
    " the families and the people depicted can be told in time."
)


def proposed_release_text(effective: date) -> str:
    """The live release policy as its next version, effective ``effective``, with the
    embargo warning at 48 hours."""
    loaded = kind("release").load(None)
    version = int(getattr(loaded.policy, "version", 1)) + 1
    text = re.sub(r"^version: \d+", f"version: {version}", loaded.text, count=1, flags=re.M)
    text = re.sub(r"^effective: .*$", f"effective: {effective}", text, count=1, flags=re.M)
    return text.replace("warning_hours: 24", "warning_hours: 48", 1)


def ensure_demo_policies(runtime: Runtime) -> int:
    """Record the files in force and the demo proposal; returns the proposals made (0/1)."""
    now = utcnow()
    actor = Principal.system("demo").id
    with runtime.db.session() as session:
        service.record_in_force(session, in_force(), actor=actor, now=now)
        if len(service.versions(session, "release")) > 1:
            return 0
        effective = (now + timedelta(days=30)).date()
        checked = service.check_text("release", proposed_release_text(effective))
        version = service.propose(
            session,
            "release",
            checked,
            effective=effective,
            summary=SUMMARY,
            actor=actor,
            now=now,
        )
        approved = service.add_comment(
            session,
            version,
            name="Neighbourhood association, Ward 3",
            body="48 hours is better; please also say who is told.",
            now=now,
        )
        service.add_comment(
            session,
            version,
            name=None,
            body="Why not a full week?",
            now=now,
        )
        service.moderate(
            session,
            approved.id,
            status=service.APPROVED,
            response="Thank you. The notice list is in the policy (embargo: notify).",
            actor=actor,
            now=now,
        )
    return 1
