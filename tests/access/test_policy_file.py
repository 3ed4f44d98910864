"""The published access policy file: the packaged one validates, and a copy that names an
unknown permission, role, condition or agency kind, leaves out where a role may be held,
repeats a rule id, leaves a permission granted by nothing, or is not YAML stops start-up
(and ``sunlight serve``) with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import sunlight.models  # noqa: F401  (registers the domains' conditions)
from sunlight.access.permissions import INFO, Permission
from sunlight.access.policy import PACKAGED, AccessPolicyError, load_access_policy
from sunlight.config import ConfigError
from sunlight.runtime import start
from tests.conftest import embedded_settings

Edit = Callable[[dict[str, Any]], None]


def _rule(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    rule: dict[str, Any] = next(r for r in data["rules"] if r["id"] == rule_id)
    return rule


def _unknown_permission(data: dict[str, Any]) -> None:
    _rule(data, "officers-own-recordings")["permissions"].append("recording:teleport")


def _unknown_role(data: dict[str, Any]) -> None:
    _rule(data, "supervisors-unit-metadata")["roles"].append("sheriff")


def _unknown_exempt_role(data: dict[str, Any]) -> None:
    _rule(data, "vulnerable-people")["unless_roles"].append("chief")


def _unknown_condition(data: dict[str, Any]) -> None:
    _rule(data, "officers-own-recordings")["condition"] = "is_friendly"


def _condition_for_wrong_resource(data: dict[str, Any]) -> None:
    # own_unit is about recordings and incidents; agency:view has no resource to check it on
    _rule(data, "supervisors-compliance")["condition"] = "own_unit"


def _duplicate_rule_id(data: dict[str, Any]) -> None:
    _rule(data, "supervisors-unit-footage")["id"] = "supervisors-unit-metadata"


def _granted_by_nothing(data: dict[str, Any]) -> None:
    # tokens and jobs are granted "*" within their own limits; without them and without the
    # administrators' token:manage, nobody may manage tokens and the file must say so
    data["rules"] = [r for r in data["rules"] if r["id"] not in {"tokens", "sunlight-jobs"}]
    _rule(data, "administrators")["permissions"].remove("token:manage")


def _require_without_needs(data: dict[str, Any]) -> None:
    _rule(data, "first-amendment-purpose")["needs"] = []


def _unknown_need(data: dict[str, Any]) -> None:
    _rule(data, "custodians-footage")["needs"] = ["blessing"]


def _allow_by_default(data: dict[str, Any]) -> None:
    data["default"] = "allow"


def _unknown_key(data: dict[str, Any]) -> None:
    _rule(data, "custodians-footage")["except_when"] = "never"


def _unknown_agency_kind(data: dict[str, Any]) -> None:
    data["roles"]["outside-investigator"]["agency_kinds"].append("sheriffs-office")


def _role_without_agency_kinds(data: dict[str, Any]) -> None:
    del data["roles"]["records-custodian"]["agency_kinds"]


def _staff_role_held_nowhere(data: dict[str, Any]) -> None:
    data["roles"]["prosecutor"]["agency_kinds"] = []


def _agency_kind_twice(data: dict[str, Any]) -> None:
    data["roles"]["officer"]["agency_kinds"] = ["department", "department"]


BROKEN: list[tuple[str, Edit, str]] = [
    ("unknown permission", _unknown_permission, "unknown permission 'recording:teleport'"),
    ("unknown role", _unknown_role, "unknown role 'sheriff'"),
    ("unknown exempt role", _unknown_exempt_role, "unknown role 'chief'"),
    ("unknown condition", _unknown_condition, "unknown condition 'is_friendly'"),
    (
        "condition for a permission without a resource",
        _condition_for_wrong_resource,
        "condition 'own_unit' cannot be checked for compliance:view",
    ),
    ("duplicate rule id", _duplicate_rule_id, "rule ids must be unique"),
    ("permission granted by nothing", _granted_by_nothing, "token:manage"),
    ("require rule without needs", _require_without_needs, "must say what it needs"),
    ("unknown need", _unknown_need, "blessing"),
    ("default allow", _allow_by_default, "default"),
    ("unknown key", _unknown_key, "except_when"),
    ("unknown agency kind", _unknown_agency_kind, "sheriffs-office"),
    ("role without agency kinds", _role_without_agency_kinds, "records-custodian.agency_kinds"),
    ("staff role held in no agency", _staff_role_held_nowhere, "name the agency kinds"),
    ("agency kind listed twice", _agency_kind_twice, "an agency kind is listed twice"),
]


def _write(tmp_path: Path, edit: Edit) -> Path:
    data = yaml.safe_load(PACKAGED.read_text())
    edit(data)
    path = tmp_path / "access-policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_packaged_policy_validates() -> None:
    loaded = load_access_policy(PACKAGED)
    policy = loaded.policy
    assert loaded.path == str(PACKAGED)
    assert len(loaded.sha256) == 64
    assert policy.default == "deny"
    assert {"officer", "supervisor", "records-custodian", "internal-affairs"} <= set(policy.roles)
    assert {"outside-investigator", "prosecutor", "civilian-oversight", "administrator"} <= set(
        policy.roles
    )
    granted = {p for r in policy.rules if r.effect == "allow" for p in r.expanded()}
    assert granted | set(policy.unused_permissions) == set(Permission)
    # the First Amendment purposes exist and are marked as purposes
    assert {r.id for r in policy.reasons if r.purpose} == {"criminal-investigation", "complaint"}
    # every resource permission is checked against a table some domain registered
    assert {i.resource for i in INFO.values()} == {None, "recording", "incident"}


def test_a_round_tripped_copy_still_validates(tmp_path: Path) -> None:
    """The edits below are the only thing wrong with each broken copy."""
    path = _write(tmp_path, lambda data: None)
    assert load_access_policy(path).policy.rules == load_access_policy(PACKAGED).policy.rules


@pytest.mark.parametrize(("what", "edit", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_policy_stops_start_up(
    what: str, edit: Edit, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, edit)
    with pytest.raises(AccessPolicyError, match="access policy") as loading:
        load_access_policy(path)
    assert message in str(loading.value)
    assert str(path) in str(loading.value)
    monkeypatch.setenv("SUNLIGHT_ACCESS_POLICY", str(path))
    with pytest.raises(ConfigError) as starting:
        start(embedded_settings(tmp_path / "home"))
    assert message in str(starting.value)


def test_bad_yaml_stops_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "access-policy.yaml"
    path.write_text(PACKAGED.read_text().replace("roles:\n", "roles: [\n", 1))
    monkeypatch.setenv("SUNLIGHT_ACCESS_POLICY", str(path))
    with pytest.raises(ConfigError, match="not valid YAML"):
        start(embedded_settings(tmp_path / "home"))


def test_missing_policy_file_stops_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUNLIGHT_ACCESS_POLICY", str(tmp_path / "nowhere.yaml"))
    with pytest.raises(ConfigError, match="cannot read access policy"):
        start(embedded_settings(tmp_path / "home"))


def test_serve_exits_non_zero_naming_the_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, _unknown_condition)
    env = {
        **os.environ,
        "SUNLIGHT_HOME": str(tmp_path / "home"),
        "SUNLIGHT_ACCESS_POLICY": str(path),
    }
    for key in ("SUNLIGHT_CONFIG", "SUNLIGHT_DATABASE_URL", "SUNLIGHT_STORAGE_URL"):
        env.pop(key, None)
    done = subprocess.run(
        [sys.executable, "-c", "from sunlight.cli.main import cli; cli()", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode != 0
    assert "unknown condition 'is_friendly'" in done.stderr
    assert str(path) in done.stderr
    assert "Traceback" not in done.stderr, done.stderr
