"""The decision matrix, at the service level: every policy role x every resource permission x
each kind of resource (own, other, same unit, assigned to the Highway Patrol, unassigned,
protest, critical incident before the statement, vulnerable people, shared with the
prosecutor, under an oversight complaint), without a reason, with a reason and with a
purpose, compared with the reviewed table in ``tests/access/matrix.txt``.

Each cell is ``allow``, ``deny:<rule>`` (refused: 403) or ``404:<rule>`` (out of the
principal's scope, so its existence is not confirmed). Cells that do not depend on the reason
are written once; the others as ``none=... reason=... purpose=...``.

Regenerate after a reviewed policy change with ``ACCESS_MATRIX_UPDATE=1`` and read the diff.
The second test checks that lists and single checks agree: the ids ``visible()`` selects are
exactly those ``decide()`` allows, for every principal and resource permission.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access import conditions
from sunlight.access.decide import Decision, decide, visible
from sunlight.access.models import Agency
from sunlight.access.permissions import INFO, Permission
from sunlight.access.principal import Principal
from sunlight.runtime import Runtime
from tests.support import access_data as data

MATRIX = Path(__file__).with_name("matrix.txt")
UPDATE = os.environ.get("ACCESS_MATRIX_UPDATE") == "1"

#: What a request carries: nothing, a chosen reason that is not a purpose, a purpose.
REASONS: dict[str, str | None] = {
    "none": None,
    "reason": "supervisory-review: weekly review of unit footage",
    "purpose": "criminal-investigation: case 24-1187",
}
PURPOSE = REASONS["purpose"]
#: The moment every decision is taken at (the world's shares are active or expired then).
NOW = data.WHEN

RESOURCE_PERMISSIONS = sorted(p for p in Permission if INFO[p].resource is not None)
OTHER_PERMISSIONS = sorted(p for p in Permission if INFO[p].resource is None)


@dataclass(frozen=True)
class Resource:
    recording: int
    incident: int | None = None

    def id_for(self, permission: Permission) -> int | None:
        return self.recording if INFO[permission].resource == "recording" else self.incident


@dataclass
class World:
    resources: dict[str, Resource]
    principals: dict[str, Principal]


def build_world(session: Session) -> World:
    """One archive with each kind of resource, and one principal per policy role."""
    ag = data.agencies(session)
    kcpd, mshp, jcpo, occ = (ag[name] for name in data.SEEDED)
    statement = datetime(2026, 5, 9, 10, 0, tzinfo=UTC)
    officer_a = data.add_officer(session, "A-100", unit="Central")
    officer_b = data.add_officer(session, "B-200", unit="East")
    officer_c = data.add_officer(session, "C-300", unit="Central")

    def rec(officer: int) -> int:
        return data.add_recording(session, officer_id=officer)

    own = rec(officer_a)
    other = rec(officer_b)
    unit = rec(officer_c)

    assigned = rec(officer_c)
    assigned_incident = data.add_incident(
        session, type="aggravated-assault", unit="Central", agency_id=mshp.id,
        officers={officer_c: None}, recordings=[assigned],
    )  # fmt: skip
    unassigned = rec(officer_b)
    unassigned_incident = data.add_incident(
        session, type="traffic-stop", unit="East", officers={officer_b: None},
        recordings=[unassigned],
    )  # fmt: skip
    protest = rec(officer_a)
    protest_incident = data.add_incident(
        session, type="first-amendment-assembly", unit="Central",
        officers={officer_a: None}, recordings=[protest],
    )  # fmt: skip
    shooting = rec(officer_a)
    shooting_incident = data.add_incident(
        session, type="officer-involved-shooting", unit="Central",
        officers={officer_a: None, officer_c: statement}, recordings=[shooting],
    )  # fmt: skip
    vulnerable = rec(officer_a)
    data.add_flag(session, vulnerable, "minor")
    data.add_flag(session, own, "minor", cleared=True)  # a cleared flag restricts nothing
    shared = rec(officer_b)
    shared_incident = data.add_incident(
        session, type="robbery", unit="East", officers={officer_b: None}, recordings=[shared]
    )
    data.add_share(session, shared, agency_id=jcpo.id)
    link_share = data.add_share(session, shared, link=True)
    data.add_share(session, other, agency_id=jcpo.id, expired=True)  # no longer shared
    data.add_share(session, unit, agency_id=jcpo.id, revoked=True)  # no longer shared
    data.add_share(session, other, link=True, revoked=True)
    complained = rec(officer_b)
    complaint_incident = data.add_incident(
        session, type="traffic-stop", unit="East", officers={officer_b: None},
        recordings=[complained],
    )  # fmt: skip
    data.add_complaint(session, complaint_incident, occ.id)

    resources = {
        "own-A": Resource(own),
        "other-B": Resource(other),
        "unit-C": Resource(unit),
        "assigned-MSHP": Resource(assigned, assigned_incident),
        "unassigned": Resource(unassigned, unassigned_incident),
        "protest": Resource(protest, protest_incident),
        "shooting-A": Resource(shooting, shooting_incident),
        "vulnerable": Resource(vulnerable),
        "shared-JCPO": Resource(shared, shared_incident),
        "complaint-OCC": Resource(complained, complaint_incident),
    }

    def user(name: str, role: str, agency: Agency, **kw: object) -> Principal:
        return data.add_user(session, name, agency=agency, roles=[role], **kw)  # type: ignore[arg-type]

    principals = {
        "officer-A": user("officer-a", "officer", kcpd, unit="Central", officer_id=officer_a),
        "supervisor": user("sergeant", "supervisor", kcpd, unit="Central"),
        "custodian": user("custodian", "records-custodian", kcpd),
        "internal-affairs": user("ia", "internal-affairs", kcpd),
        "investigator": user("trooper", "outside-investigator", mshp),
        "prosecutor": user("prosecutor", "prosecutor", jcpo),
        "oversight": user("occ", "civilian-oversight", occ),
        "administrator": user("admin", "administrator", kcpd),
        "token-upload": data.token_principal(1, [Permission.RECORDING_UPLOAD], agency_id=kcpd.id),
        "share-link": data.share_principal(link_share),
        "system-job": Principal.system("retention", agency_id=kcpd.id),
        "public": Principal.public(),
    }
    return World(resources, principals)


def cell(decision: Decision) -> str:
    if decision.allowed:
        return "allow"
    return f"{'deny' if decision.in_scope else '404'}:{decision.rule}"


def compute(session: Session, world: World) -> list[str]:
    lines = []
    for who, principal in world.principals.items():
        for permission in RESOURCE_PERMISSIONS:
            for what, resource in world.resources.items():
                resource_id = resource.id_for(permission)
                if resource_id is None:
                    continue
                cells = {
                    label: cell(
                        decide(session, principal, permission, resource_id, now=NOW, reason=r)
                    )
                    for label, r in REASONS.items()
                }
                lines.append(_line(who, permission, what, cells))
        for permission in OTHER_PERMISSIONS:
            cells = {
                label: cell(decide(None, principal, permission, now=NOW, reason=r))
                for label, r in REASONS.items()
            }
            lines.append(_line(who, permission, "-", cells))
    return lines


def _line(who: str, permission: Permission, what: str, cells: dict[str, str]) -> str:
    values = set(cells.values())
    shown = (
        values.pop()
        if len(values) == 1
        else " ".join(f"{label}={value}" for label, value in cells.items())
    )
    return f"{who:<16} {permission:<20} {what:<14} {shown}"


HEADER = [
    "# The access decision matrix (tests/access/test_decide_matrix.py), reviewed by hand.",
    "# principal  permission  resource  outcome; outcome: allow | deny:<rule> (403) |",
    "# 404:<rule> (out of scope); or none=... reason=... purpose=... when the reason matters.",
    "# Regenerate: ACCESS_MATRIX_UPDATE=1 uv run pytest tests/access/test_decide_matrix.py -k embedded",
]


def test_decision_matrix_matches_the_reviewed_table(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        world = build_world(session)
        lines = HEADER + compute(session, world)
    text = "\n".join(lines) + "\n"
    if UPDATE:
        MATRIX.write_text(text)
    expected = MATRIX.read_text() if MATRIX.exists() else ""
    if text != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), text.splitlines(), "matrix.txt", "computed", lineterm="", n=0
            )
        )
        pytest.fail(
            "access decisions differ from tests/access/matrix.txt "
            "(ACCESS_MATRIX_UPDATE=1 regenerates it; review the diff):\n" + diff,
            pytrace=False,
        )


def test_lists_equal_single_checks(runtime: Runtime) -> None:
    """For every principal and resource permission, ``visible()`` selects exactly the ids that
    ``decide()`` allows (with a purpose, so no obligation is missing), the list permission's
    scope is exactly what ``in_scope`` says, nothing is allowed on a resource out of scope
    (which answers 404), and without a reason a list is the same."""
    with runtime.db.session() as session:
        world = build_world(session)
        mismatches = []
        for who, principal in world.principals.items():
            for permission in RESOURCE_PERMISSIONS:
                kind = INFO[permission].resource
                assert kind is not None
                table = conditions.resource_table(kind)
                listed = set(
                    session.scalars(
                        select(table.id_column).where(visible(principal, permission, now=NOW))
                    )
                )
                ids = {
                    i for r in world.resources.values() if (i := r.id_for(permission)) is not None
                }
                allowed = {
                    i
                    for i in ids
                    if decide(session, principal, permission, i, now=NOW, reason=PURPOSE).allowed
                }
                if listed != allowed:
                    mismatches.append(
                        f"{who} {permission}: listed {sorted(listed)}, checks {sorted(allowed)}"
                    )
                scope = (
                    Permission.RECORDING_LIST if kind == "recording" else Permission.INCIDENT_VIEW
                )
                in_scope = set(
                    session.scalars(
                        select(table.id_column).where(visible(principal, scope, now=NOW))
                    )
                )
                for i in ids:
                    decision = decide(session, principal, permission, i, now=NOW)
                    if decision.in_scope != (i in in_scope) and decision.rule != "token-scope":
                        mismatches.append(f"{who} {permission} {i}: in_scope {decision.in_scope}")
                    if i in allowed and i not in in_scope:  # nothing is done to the unseen
                        mismatches.append(f"{who} {permission} {i}: allowed out of scope (404)")
                if permission in (Permission.RECORDING_LIST, Permission.INCIDENT_VIEW):
                    bare = {
                        i for i in ids if decide(session, principal, permission, i, now=NOW).allowed
                    }
                    if bare != listed:
                        mismatches.append(f"{who} {permission} without a reason: {sorted(bare)}")
    assert not mismatches, "\n".join(mismatches)


#: The issue's rules, cell by cell: a regenerated matrix that loses one of these fails here
#: even if nobody reads its diff.
ISSUE_RULES = {
    # officers see their own recordings, and other officers' are not found (404)
    ("officer-A", "recording:stream", "own-A"): "allow",
    ("officer-A", "recording:view", "other-B"): "404:default-deny",
    ("officer-A", "recording:list", "unit-C"): "404:default-deny",
    # supervisors see their unit's, with a reason for footage; not other units'
    ("supervisor", "recording:view", "unit-C"): "allow",
    ("supervisor", "recording:stream", "unit-C"): (
        "none=deny:supervisors-unit-footage reason=allow purpose=allow"
    ),
    ("supervisor", "recording:list", "other-B"): "404:default-deny",
    # custodians and internal affairs see all footage, with a reason
    ("custodian", "recording:stream", "other-B"): (
        "none=deny:custodians-footage reason=allow purpose=allow"
    ),
    ("internal-affairs", "recording:download", "unassigned"): (
        "none=deny:custodians-footage reason=allow purpose=allow"
    ),
    # report before review
    ("officer-A", "recording:view", "shooting-A"): "deny:report-before-review",
    ("officer-A", "recording:stream", "shooting-A"): "deny:report-before-review",
    # the outside investigator: exactly the incidents assigned to it; only it returns custody
    ("investigator", "recording:view", "assigned-MSHP"): "allow",
    ("investigator", "recording:view", "unassigned"): "404:default-deny",
    ("investigator", "incident:assign", "assigned-MSHP"): "allow",
    ("custodian", "incident:assign", "assigned-MSHP"): "deny:outside-custody-lock",
    ("custodian", "recording:edit", "assigned-MSHP"): "deny:outside-custody-lock",
    ("custodian", "incident:link", "assigned-MSHP"): "deny:outside-custody-lock",
    # prosecutors: what is shared with the office (not expired, not revoked shares)
    ("prosecutor", "recording:view", "shared-JCPO"): "allow",
    ("prosecutor", "recording:view", "other-B"): "404:default-deny",
    ("prosecutor", "recording:view", "unit-C"): "404:default-deny",
    # civilian oversight: the footage of its complaints
    ("oversight", "recording:view", "complaint-OCC"): "allow",
    ("oversight", "recording:view", "unassigned"): "404:default-deny",
    # First Amendment assemblies: footage only with a purpose, even one's own
    ("officer-A", "recording:stream", "protest"): (
        "none=deny:first-amendment-purpose reason=deny:first-amendment-purpose purpose=allow"
    ),
    ("custodian", "recording:download", "protest"): (
        "none=deny:first-amendment-purpose reason=deny:first-amendment-purpose purpose=allow"
    ),
    # vulnerable people: named roles only, even the officer who recorded it
    ("officer-A", "recording:view", "vulnerable"): "404:vulnerable-people",
    ("custodian", "recording:view", "vulnerable"): "allow",
    # administrators manage accounts, not footage; tokens and the public see nothing
    ("administrator", "recording:view", "own-A"): "404:default-deny",
    ("token-upload", "recording:view", "own-A"): "deny:token-scope",
    ("token-upload", "recording:upload", "-"): "allow",
    ("public", "recording:list", "own-A"): "404:default-deny",
    # a share link opens its one recording
    ("share-link", "recording:download", "shared-JCPO"): "allow",
    ("share-link", "recording:view", "other-B"): "404:default-deny",
}


def test_matrix_states_the_issue_rules() -> None:
    cells = {}
    for line in MATRIX.read_text().splitlines():
        if line.startswith("#"):
            continue
        who, permission, what, outcome = line.split(maxsplit=3)
        cells[(who, permission, what)] = outcome
    wrong = {
        key: (cells.get(key), want) for key, want in ISSUE_RULES.items() if cells.get(key) != want
    }
    assert not wrong, "\n".join(
        f"{k}: matrix says {got}, the issue says {want}" for k, (got, want) in wrong.items()
    )
