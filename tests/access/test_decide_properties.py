"""Property-based tests of access decisions (hypothesis, deterministic, bounded).

Hypothesis generates small archives (recordings, officers and units, incidents with their
types, units, outside custody, involved officers and statements, links, complaints, flags,
shares by agency and by link, expired and revoked), principals (any subset of the policy's
roles, an agency, a unit, an officer, a token's permissions, a share link) and small access
policies (rules drawn from the real permission and condition lists, and the kinds of agency
each role may be held in). A reference evaluator
written here in plain Python, from the policy's published semantics and not from
``decide``'s code, says what must be allowed; then:

- ``decide()`` allows exactly what the reference allows, with the same deciding rule;
- ``visible()`` selects exactly the resources single checks allow (lists == checks), and a
  decision's ``in_scope`` is the list permission's visibility;
- nothing is allowed when no allow rule's condition holds (default deny), and a deny rule
  whose condition holds always wins;
- a role the principal's kind of agency may not hold grants nothing (refused by
  ``role-agency-kind`` where only it would have granted).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

import sunlight.models  # noqa: F401  (registers the domains' conditions)
from sunlight.access import conditions
from sunlight.access.decide import decide, visible
from sunlight.access.models import AGENCY_KINDS, Agency
from sunlight.access.permissions import INFO, Permission, ResourceType
from sunlight.access.policy import AccessPolicy, load_access_policy
from sunlight.access.principal import Principal
from sunlight.release.policy import load_release_policy
from sunlight.runtime import Runtime
from tests.support import access_data as data

PROPERTIES = settings(
    # ACCESS_PROPERTY_EXAMPLES=500 for a longer hunt; the default keeps the file under a minute
    max_examples=int(os.environ.get("ACCESS_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    derandomize=True,  # the same examples on every run and machine
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
    # ACCESS_PROPERTY_SHRINK=0 reports failures unshrunk (fast, while hunting)
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    + ([Phase.shrink] if os.environ.get("ACCESS_PROPERTY_SHRINK", "1") == "1" else []),
)

UNITS = ("Central", "East")
INCIDENT_TYPES = (
    "traffic-stop",
    "officer-involved-shooting",
    "use-of-force",
    "first-amendment-assembly",
)
#: The reference's own copies of the domain constants (not imported: the reference must
#: not follow a change in the code under test).
CRITICAL = {"officer-involved-shooting", "use-of-force"}
FIRST_AMENDMENT = {"first-amendment-assembly"}
VULNERABLE_KINDS = {"vulnerable", "minor", "sex-crime-victim"}
FLAG_KINDS = ("minor", "vulnerable", "sex-crime-victim", "missing-metadata")
AGENCIES = ("KCPD", "MSHP", "JCPO", "OCC")
#: the seeded agencies' kinds (migration 0011)
AGENCY_KIND = {
    "KCPD": "department",
    "MSHP": "investigator",
    "JCPO": "prosecutor",
    "OCC": "oversight",
}
#: incident types whose release authority is the investigating agency (release policy)
RELEASE_AGENCY_TYPES = frozenset(load_release_policy().policy.agency_types())
REASONS = (
    None,
    "",
    "looked at it",
    "report-writing: case report 7",
    "criminal-investigation: case 24-1187",
    "complaint: OCC-2026-11",
    "complaint:",
    "other: training day",
)
PURPOSES = {"criminal-investigation", "complaint"}
REASON_IDS = {
    "criminal-investigation",
    "complaint",
    "report-writing",
    "supervisory-review",
    "records-request",
    "court",
    "training",
    "other",
}

PACKAGED = load_access_policy().policy
#: the module (``sunlight.access.decide`` the attribute is the function)
DECIDE_MODULE = importlib.import_module("sunlight.access.decide")
ROLES = tuple(PACKAGED.roles)
RECORDING_PERMISSIONS = tuple(sorted(p for p in Permission if INFO[p].resource == "recording"))
INCIDENT_PERMISSIONS = tuple(sorted(p for p in Permission if INFO[p].resource == "incident"))
OTHER_PERMISSIONS = tuple(sorted(p for p in Permission if INFO[p].resource is None))


# ---- the generated world ----------------------------------------------------------------


@dataclass(frozen=True)
class IncidentSpec:
    type: str
    unit: str | None
    agency: str | None  # the agency holding custody (None: the department)
    officers: dict[int, bool]  # officer index -> statement recorded
    recordings: frozenset[int]
    complaints: tuple[str, ...]  # agencies handling complaints about it


@dataclass(frozen=True)
class ShareSpec:
    recording: int
    agency: str | None  # None: a link
    expired: bool
    revoked: bool

    @property
    def active(self) -> bool:
        return not (self.expired or self.revoked)


@dataclass(frozen=True)
class WorldSpec:
    officer_units: tuple[str | None, ...]
    recording_officers: tuple[int | None, ...]
    flags: tuple[tuple[int, str, bool], ...]  # recording, kind, cleared
    incidents: tuple[IncidentSpec, ...]
    shares: tuple[ShareSpec, ...]


@dataclass(frozen=True)
class PrincipalSpec:
    roles: frozenset[str]
    agency: str | None
    unit: str | None
    officer: int | None
    granted: frozenset[Permission] | None
    share: int | None  # index into the world's shares


@st.composite
def worlds(draw: st.DrawFn) -> WorldSpec:
    officer_units = tuple(draw(st.lists(st.sampled_from((*UNITS, None)), min_size=1, max_size=3)))
    officers = st.one_of(st.none(), st.integers(0, len(officer_units) - 1))
    recording_officers = tuple(draw(st.lists(officers, min_size=1, max_size=5)))
    recordings = st.integers(0, len(recording_officers) - 1)
    flags = tuple(
        draw(
            st.lists(st.tuples(recordings, st.sampled_from(FLAG_KINDS), st.booleans()), max_size=2)
        )
    )
    incidents = tuple(
        draw(
            st.lists(
                st.builds(
                    IncidentSpec,
                    type=st.sampled_from(INCIDENT_TYPES),
                    unit=st.sampled_from((*UNITS, None)),
                    agency=st.sampled_from((None, None, *AGENCIES)),
                    officers=st.dictionaries(
                        st.integers(0, len(officer_units) - 1), st.booleans(), max_size=2
                    ),
                    recordings=st.frozensets(recordings, max_size=3),
                    complaints=st.lists(st.sampled_from(AGENCIES), max_size=2).map(tuple),
                ),
                max_size=3,
            )
        )
    )
    shares = tuple(
        draw(
            st.lists(
                st.builds(
                    ShareSpec,
                    recording=recordings,
                    agency=st.sampled_from((None, *AGENCIES)),
                    expired=st.booleans(),
                    revoked=st.booleans(),
                ),
                max_size=3,
            )
        )
    )
    return WorldSpec(officer_units, recording_officers, flags, incidents, shares)


def principals(world: WorldSpec) -> st.SearchStrategy[PrincipalSpec]:
    links = [i for i, s in enumerate(world.shares) if s.agency is None]
    return st.builds(
        PrincipalSpec,
        roles=st.frozensets(st.sampled_from(ROLES), max_size=3),
        agency=st.sampled_from((None, *AGENCIES)),
        unit=st.sampled_from((None, *UNITS)),
        officer=st.one_of(st.none(), st.integers(0, len(world.officer_units) - 1)),
        granted=st.one_of(
            st.none(), st.none(), st.frozensets(st.sampled_from(list(Permission)), max_size=6)
        ),
        share=st.sampled_from((None, *links)) if links else st.none(),
    )


@st.composite
def rules(draw: st.DrawFn, index: int) -> dict[str, Any]:
    effect = draw(st.sampled_from(("allow", "allow", "deny", "require")))
    kinds: tuple[ResourceType | None, ...] = ("recording", "incident", None)
    kind = draw(st.sampled_from(kinds))
    if kind is None:
        condition = "always"
        permissions = draw(
            st.one_of(
                st.lists(st.sampled_from(OTHER_PERMISSIONS), min_size=1, max_size=3, unique=True),
                st.sampled_from((["*"], ["recording:*"], ["incident:*"])),
            )
        )
    else:
        names = sorted(c for c in conditions.CONDITIONS if conditions.supports(c, kind))
        condition = draw(st.sampled_from(names))
        pool = RECORDING_PERMISSIONS if kind == "recording" else INCIDENT_PERMISSIONS
        permissions = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    needs = draw(st.lists(st.sampled_from(("reason", "purpose")), max_size=2, unique=True))
    if effect == "require" and not needs:
        needs = ["reason"]
    role_names = st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True)
    return {
        "id": f"rule-{index}",
        "effect": effect,
        "roles": draw(st.one_of(st.just(["*"]), role_names)),
        "unless_roles": draw(st.lists(st.sampled_from(ROLES), max_size=1)),
        "permissions": [str(p) for p in permissions],
        "condition": condition,
        "needs": needs if effect != "deny" else [],
        "explanation": f"generated rule {index}",
    }


@st.composite
def policies(draw: st.DrawFn) -> AccessPolicy:
    """The packaged policy, or a small random one (valid: unused permissions are listed)."""
    if draw(st.integers(0, 4)) == 0:
        return PACKAGED
    count = draw(st.integers(1, 7))
    generated = [draw(rules(i)) for i in range(count)]
    granted = {
        p
        for r in generated
        if r["effect"] == "allow"
        for pat in r["permissions"]
        for p in expand(pat)
    }
    document = PACKAGED.model_dump(mode="json")
    document["rules"] = generated
    for role in document["roles"].values():  # where each role may be held, drawn too
        minimum = 1 if role["staff"] else 0
        role["agency_kinds"] = draw(
            st.lists(st.sampled_from(AGENCY_KINDS), min_size=minimum, max_size=3, unique=True)
        )
    document["unused_permissions"] = sorted(str(p) for p in set(Permission) - granted)
    policy = AccessPolicy.model_validate(document)
    policy.check_conditions()
    return policy


# ---- the reference evaluator (plain Python, from the published semantics) ---------------


def expand(pattern: str) -> set[Permission]:
    names = {p.value: p for p in Permission}
    if pattern == "*":
        return set(names.values())
    if pattern.endswith(":*"):
        return {p for name, p in names.items() if name.split(":")[0] == pattern[:-2]}
    return {names[pattern]}


@dataclass
class Reference:
    world: WorldSpec
    who: PrincipalSpec

    def _incidents_of(self, recording: int) -> list[IncidentSpec]:
        return [i for i in self.world.incidents if recording in i.recordings]

    def _active_shares(self, recording: int) -> list[ShareSpec]:
        return [s for s in self.world.shares if s.recording == recording and s.active]

    # conditions on an incident
    def incident_condition(self, name: str, inc: IncidentSpec) -> bool:
        who = self.who
        if name == "always":
            return True
        if name == "assigned_to_agency":
            return who.agency is not None and inc.agency == who.agency
        if name == "held_by_other_agency":
            return inc.agency is not None and inc.agency != who.agency
        if name == "first_amendment":
            return inc.type in FIRST_AMENDMENT
        if name == "complaint_handled_by_agency":
            return who.agency is not None and who.agency in inc.complaints
        if name == "involved_before_statement":
            return (
                who.officer is not None
                and inc.type in CRITICAL
                and inc.officers.get(who.officer) is False
            )
        if name in ("involved_officer", "own_recording"):
            return who.officer is not None and who.officer in inc.officers
        if name == "own_unit":
            return who.unit is not None and inc.unit == who.unit
        if name == "shared_with_agency":
            return who.agency is not None and any(
                s.agency == who.agency for r in inc.recordings for s in self._active_shares(r)
            )
        if name == "holds_release_authority":
            # the release policy: the investigating agency for its types once assigned,
            # else the department
            to_agency = inc.type in RELEASE_AGENCY_TYPES and inc.agency is not None
            if who.agency is None or who.agency == "KCPD":
                return not to_agency
            return to_agency and inc.agency == who.agency
        raise AssertionError(f"the reference does not know condition {name!r} for incidents")

    # conditions on a recording
    def recording_condition(self, name: str, rec: int) -> bool:
        who, world = self.who, self.world
        officer = world.recording_officers[rec]
        if name == "always":
            return True
        if name == "own_recording":
            return who.officer is not None and officer == who.officer
        if name == "own_unit":
            return (
                who.unit is not None
                and officer is not None
                and world.officer_units[officer] == who.unit
            )
        if name == "vulnerable":
            return any(r == rec and k in VULNERABLE_KINDS and not c for r, k, c in world.flags)
        if name == "shared_with_agency":
            return who.agency is not None and any(
                s.agency == who.agency for s in self._active_shares(rec)
            )
        if name == "shared_link":
            if who.share is None:
                return False
            share = world.shares[who.share]
            return share.active and share.recording == rec
        if name in (
            "assigned_to_agency",
            "held_by_other_agency",
            "first_amendment",
            "complaint_handled_by_agency",
            "involved_before_statement",
        ):
            return any(self.incident_condition(name, i) for i in self._incidents_of(rec))
        raise AssertionError(f"the reference does not know condition {name!r} for recordings")

    def holds(self, name: str, kind: str | None, target: int | None) -> bool:
        if kind is None:
            return name == "always"
        assert target is not None
        if kind == "recording":
            return self.recording_condition(name, target)
        return self.incident_condition(name, self.world.incidents[target])

    def held(self, policy: AccessPolicy) -> frozenset[str]:
        """The roles that count: a role its agency's kind may not hold grants nothing (a
        principal of no agency is not checked)."""
        if self.who.agency is None:
            return self.who.roles
        kind = AGENCY_KIND[self.who.agency]
        return frozenset(r for r in self.who.roles if kind in policy.roles[r].agency_kinds)

    def _rules(self, policy: AccessPolicy, permission: Permission) -> list[Any]:
        roles = self.held(policy)
        return [
            r
            for r in policy.rules
            if any(permission in expand(p) for p in r.permissions)
            and not roles & set(r.unless_roles)
            and ("*" in r.roles or roles & set(r.roles))
        ]

    def token_blocks(self, permission: Permission) -> bool:
        return self.who.granted is not None and permission not in self.who.granted

    def visible(self, policy: AccessPolicy, permission: Permission, target: int) -> bool:
        """What a list shows: some allow rule holds and no deny rule does (no obligations)."""
        if self.token_blocks(permission):
            return False
        kind = INFO[permission].resource
        applicable = self._rules(policy, permission)
        return any(
            r.effect == "allow" and self.holds(r.condition, kind, target) for r in applicable
        ) and not any(
            r.effect == "deny" and self.holds(r.condition, kind, target) for r in applicable
        )

    def decide(
        self, policy: AccessPolicy, permission: Permission, target: int | None, reason: str | None
    ) -> tuple[bool, str]:
        if self.token_blocks(permission):
            return False, "token-scope"
        kind = INFO[permission].resource
        applicable = self._rules(policy, permission)
        holding = [r for r in applicable if self.holds(r.condition, kind, target)]
        for r in holding:
            if r.effect == "deny":
                return False, r.id
        grant = next((r for r in holding if r.effect == "allow"), None)
        if grant is None:
            ignored = self.who.roles - self.held(policy)
            if any(
                r.effect == "allow"
                and ignored & set(r.roles)
                and any(permission in expand(p) for p in r.permissions)
                for r in policy.rules
            ):
                return False, "role-agency-kind"
            return False, "default-deny"
        needs: dict[str, str] = dict.fromkeys(grant.needs, grant.id)
        for r in holding:
            if r.effect == "require":
                for n in r.needs:
                    needs.setdefault(n, r.id)
        given_reason, purpose = _read_reason(reason)
        if "purpose" in needs and not purpose:
            return False, needs["purpose"]
        if "reason" in needs and not given_reason:
            return False, needs["reason"]
        return True, grant.id


def _read_reason(raw: str | None) -> tuple[bool, bool]:
    """(a reason was given, it is a purpose with its reference) for the policy's reasons."""
    if raw is None or not raw.strip():
        return False, False
    head, sep, rest = raw.partition(":")
    if sep and head.strip() in REASON_IDS:
        return True, head.strip() in PURPOSES and bool(rest.strip())
    return True, False


# ---- building the world in the database -------------------------------------------------


class _Rollback(Exception):
    pass


@dataclass
class Built:
    recordings: list[int]
    incidents: list[int]
    shares: list[int]
    agencies: dict[str, Agency]
    officers: list[int] = field(default_factory=list)

    def principal(self, spec: PrincipalSpec) -> Principal:
        agency = self.agencies[spec.agency] if spec.agency else None
        return Principal(
            id="test:generated",
            display_name="generated",
            kind="user",
            roles=spec.roles,
            agency_id=agency.id if agency else None,
            agency_kind=agency.kind if agency else None,
            unit=spec.unit,
            officer_id=self.officers[spec.officer] if spec.officer is not None else None,
            share_id=self.shares[spec.share] if spec.share is not None else None,
            granted=spec.granted,
        )


def build(session: Session, world: WorldSpec) -> Built:
    agencies = data.agencies(session)
    officers = [data.add_officer(session, unit=unit) for unit in world.officer_units]
    recordings = [
        data.add_recording(session, officer_id=officers[o] if o is not None else None)
        for o in world.recording_officers
    ]
    for rec, kind, cleared in world.flags:
        data.add_flag(session, recordings[rec], kind, cleared=cleared)
    incidents = []
    for spec in world.incidents:
        incident = data.add_incident(
            session,
            type=spec.type,
            unit=spec.unit,
            agency_id=agencies[spec.agency].id if spec.agency else None,
            officers={
                officers[o]: (data.WHEN if stated else None) for o, stated in spec.officers.items()
            },
            recordings=[recordings[r] for r in sorted(spec.recordings)],
        )
        for handler in spec.complaints:
            data.add_complaint(session, incident, agencies[handler].id)
        incidents.append(incident)
    shares = [
        data.add_share(
            session,
            recordings[s.recording],
            agency_id=agencies[s.agency].id if s.agency else None,
            link=s.agency is None,
            expired=s.expired,
            revoked=s.revoked,
        )
        for s in world.shares
    ]
    return Built(recordings, incidents, shares, agencies, officers)


@contextmanager
def scratch(runtime: Runtime) -> Iterator[Session]:
    """A session whose writes are rolled back at the end, so examples do not accumulate."""
    try:
        with runtime.db.session() as session:
            yield session
            raise _Rollback
    except _Rollback:
        pass


@contextmanager
def using(policy: AccessPolicy) -> Iterator[None]:
    with mock.patch.object(DECIDE_MODULE, "_policy", return_value=(policy, "generated")):
        yield


def _targets(built: Built, permission: Permission) -> list[tuple[int, int]]:
    """(index in the world, database id) of every resource ``permission`` is checked on."""
    ids = built.recordings if INFO[permission].resource == "recording" else built.incidents
    return list(enumerate(ids))


def _listed(session: Session, principal: Principal, permission: Permission) -> set[int]:
    kind = INFO[permission].resource
    assert kind is not None
    column = conditions.resource_table(kind).id_column
    return set(session.scalars(select(column).where(visible(principal, permission, now=data.WHEN))))


RESOURCE_PERMISSIONS = RECORDING_PERMISSIONS + INCIDENT_PERMISSIONS


def test_the_reference_knows_every_registered_condition() -> None:
    """A new condition must be modelled here before these properties can pass."""
    known = {
        "always",
        "own_recording",
        "own_unit",
        "vulnerable",
        "shared_with_agency",
        "shared_link",
        "assigned_to_agency",
        "held_by_other_agency",
        "first_amendment",
        "complaint_handled_by_agency",
        "involved_before_statement",
        "involved_officer",
        "holds_release_authority",
    }
    assert set(conditions.CONDITIONS) == known


@st.composite
def cases(draw: st.DrawFn) -> tuple[AccessPolicy, WorldSpec, list[PrincipalSpec], list[Any]]:
    policy = draw(policies())
    world = draw(worlds())
    who = draw(st.lists(principals(world), min_size=1, max_size=2))
    asks = draw(
        st.lists(
            st.tuples(st.sampled_from(list(Permission)), st.sampled_from(REASONS)),
            min_size=3,
            max_size=6,
        )
    )
    return policy, world, who, asks


@PROPERTIES
@given(case=cases())
def test_decide_allows_exactly_what_the_reference_allows(
    runtime: Runtime, case: tuple[AccessPolicy, WorldSpec, list[PrincipalSpec], list[Any]]
) -> None:
    policy, world, who, asks = case
    with scratch(runtime) as session, using(policy):
        built = build(session, world)
        for spec in who:
            principal = built.principal(spec)
            ref = Reference(world, spec)
            for permission, reason in asks:
                if INFO[permission].resource is None:
                    targets: list[tuple[int | None, int | None]] = [(None, None)]
                else:
                    targets = list(_targets(built, permission))
                for index, resource_id in targets:
                    got = decide(
                        session, principal, permission, resource_id, now=data.WHEN, reason=reason
                    )
                    want = ref.decide(policy, permission, index, reason)
                    assert (got.allowed, got.rule) == want, (
                        f"{permission} on #{index} with {reason!r} for {spec}: "
                        f"decide says {(got.allowed, got.rule)}, the reference {want}"
                    )
                    _always_true(ref, policy, permission, index, got.allowed, got.rule)


def _always_true(
    ref: Reference,
    policy: AccessPolicy,
    permission: Permission,
    index: int | None,
    allowed: bool,
    rule: str,
) -> None:
    """Default deny, and deny rules win: stated on their own, beside the reference."""
    kind = INFO[permission].resource
    applicable = ref._rules(policy, permission)
    holding = [r for r in applicable if ref.holds(r.condition, kind, index)]
    if not any(r.effect == "allow" for r in holding):
        assert not allowed, f"{permission} allowed with no allow rule holding"
    denying = [r.id for r in holding if r.effect == "deny"]
    if denying and not ref.token_blocks(permission):
        assert not allowed and rule == denying[0], f"{permission}: deny {denying} did not win"


@PROPERTIES
@given(case=cases())
def test_lists_return_exactly_what_single_checks_allow(
    runtime: Runtime, case: tuple[AccessPolicy, WorldSpec, list[PrincipalSpec], list[Any]]
) -> None:
    policy, world, who, _ = case
    with scratch(runtime) as session, using(policy):
        built = build(session, world)
        for spec in who:
            principal = built.principal(spec)
            ref = Reference(world, spec)
            for permission in RESOURCE_PERMISSIONS:
                listed = _listed(session, principal, permission)
                targets = _targets(built, permission)
                expected = {rid for index, rid in targets if ref.visible(policy, permission, index)}
                assert listed == expected, (
                    f"{permission} for {spec}: listed {listed}, want {expected}"
                )
                # a single check with every obligation met allows exactly what the list shows
                checked = {
                    rid
                    for _, rid in targets
                    if decide(
                        session, principal, permission, rid, now=data.WHEN, reason=REASONS[4]
                    ).allowed
                }
                assert checked == listed, (
                    f"{permission} for {spec}: checks {checked}, list {listed}"
                )


@PROPERTIES
@given(case=cases())
def test_in_scope_is_the_list_permission(
    runtime: Runtime, case: tuple[AccessPolicy, WorldSpec, list[PrincipalSpec], list[Any]]
) -> None:
    """A refusal answers 404 exactly when the resource is not in the principal's list."""
    policy, world, who, asks = case
    with scratch(runtime) as session, using(policy):
        built = build(session, world)
        for spec in who:
            principal = built.principal(spec)
            ref = Reference(world, spec)
            for permission, reason in asks:
                kind = INFO[permission].resource
                if kind is None:
                    continue
                scope = (
                    Permission.RECORDING_LIST if kind == "recording" else Permission.INCIDENT_VIEW
                )
                for index, rid in _targets(built, permission):
                    got = decide(session, principal, permission, rid, now=data.WHEN, reason=reason)
                    if got.rule == "token-scope":
                        continue
                    assert got.in_scope == ref.visible(policy, scope, index), (
                        f"{permission} on #{index} for {spec}"
                    )


def test_a_condition_that_is_unknown_does_not_hide_a_row(runtime: Runtime) -> None:
    """Found by the properties above: ``incidents.unit = :unit`` is NULL for an incident
    without a unit, and ``NOT NULL`` is NULL, so a deny rule on it hid from lists an incident
    that the single check (NULL: the deny does not hold) allowed."""
    document = PACKAGED.model_dump(mode="json")
    document["rules"] = [
        {"id": "not-my-unit", "effect": "deny", "roles": ["*"], "permissions": ["incident:view"],
         "condition": "own_unit", "explanation": "x"},
        {"id": "all", "effect": "allow", "roles": ["*"], "permissions": ["*"],
         "explanation": "y"},
    ]  # fmt: skip
    document["unused_permissions"] = []
    policy = AccessPolicy.model_validate(document)
    principal = Principal(id="test:x", display_name="x", kind="user", unit="Central")
    with scratch(runtime) as session, using(policy):
        no_unit = data.add_incident(session, unit=None)
        mine = data.add_incident(session, unit="Central")
        other = data.add_incident(session, unit="East")
        listed = _listed(session, principal, Permission.INCIDENT_VIEW) & {no_unit, mine, other}
        allowed = {
            i
            for i in (no_unit, mine, other)
            if decide(session, principal, Permission.INCIDENT_VIEW, i, now=data.WHEN).allowed
        }
        assert allowed == {no_unit, other}
        assert listed == allowed
