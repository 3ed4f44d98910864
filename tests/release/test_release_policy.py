"""The release policy file: the packaged default, and files that must stop start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sunlight.config import ConfigError
from sunlight.incidents.terms import INCIDENT_TYPES
from sunlight.release.policy import PACKAGED, ReleasePolicyError, load_release_policy
from sunlight.retention.policy import PolicyError, load_policy
from sunlight.runtime import start
from tests.conftest import embedded_settings


def test_packaged_policy_covers_every_type_once() -> None:
    loaded = load_release_policy()
    policy = loaded.policy
    assert len(loaded.sha256) == 64
    assert {t for r in policy.rules for t in r.incident_types} == set(INCIDENT_TYPES)
    shooting = policy.rule_for("officer-involved-shooting")
    assert (shooting.authority, shooting.release_days) == ("investigating-agency", 45)
    assert policy.rule_for("use-of-force").authority == "investigating-agency"
    assert policy.rule_for("arrest").authority == "department"
    assert (policy.extensions.step_days, policy.extensions.max_total_days) == (30, 365)
    assert policy.nonpublic_locations.basis == "RSMo 610.100.2(3)"
    assert policy.vulnerable_people.excluded_by_default


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    document = yaml.safe_load(PACKAGED.read_text())
    document.update(change)
    path = tmp_path / "release.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"surprise": 1}, "Extra inputs are not permitted"),
        ({"version": 0}, "greater than or equal to 1"),
        ({"extensions": {"step_days": 400, "max_total_days": 365}}, "less than or equal to 365"),
        ({"embargo": {"warning_hours": 24, "notify": ["records unit"]}}, "should match pattern"),
    ],
)
def test_invalid_files_are_refused(tmp_path: Path, change: dict[str, object], message: str) -> None:
    with pytest.raises(ReleasePolicyError, match=message):
        load_release_policy(_write(tmp_path, change))


def test_unknown_or_missing_incident_types_stop_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = yaml.safe_load(PACKAGED.read_text())
    document["rules"][0]["incident_types"].append("jaywalking")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(yaml.safe_dump(document))
    with pytest.raises(ReleasePolicyError, match="unknown incident type 'jaywalking'"):
        load_release_policy(unknown)
    document = yaml.safe_load(PACKAGED.read_text())
    document["rules"][2]["incident_types"].remove("homicide")
    missing = tmp_path / "missing.yaml"
    missing.write_text(yaml.safe_dump(document))
    with pytest.raises(ReleasePolicyError, match=r"without a release rule: \['homicide'\]"):
        load_release_policy(missing)
    monkeypatch.setenv("SUNLIGHT_RELEASE_POLICY", str(unknown))
    with pytest.raises(ConfigError, match="jaywalking"):
        start(embedded_settings(tmp_path / "home"))


def test_retention_keepers_are_listed_once(tmp_path: Path) -> None:
    from sunlight.retention.policy import PACKAGED as RETENTION

    loaded = load_policy()
    assert loaded.policy.version == 2
    released = loaded.policy.category_for_keeper("release")
    assert released is not None and released.keep == "indefinitely"
    document = yaml.safe_load(RETENTION.read_text())
    document["categories"][-1]["keepers"] = ["release"]
    path = tmp_path / "retention.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(PolicyError, match="keeper 'release' is in both released and requested"):
        load_policy(path)
