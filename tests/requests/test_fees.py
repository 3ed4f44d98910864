"""The fees file (RSMo 610.026): strict schema through the one policy loader, the file's hash
on every estimate and its custody event, and the file (not code) setting the rates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from sunlight.evidence.models import CustodyEvent
from sunlight.policies.registry import KINDS, check_file
from sunlight.requests import fees, service
from sunlight.requests.fees import ENV_VAR, PACKAGED, FeesFileError, load_fees
from sunlight.requests.models import RequestEvent
from sunlight.runtime import Runtime
from tests.requests.support import MONDAY, file


def _write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(PACKAGED.read_text())
    data.update(changes)
    path = tmp_path / "fees.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_packaged_rates() -> None:
    policy = load_fees(PACKAGED).policy
    assert (policy.search_cents_per_hour, policy.review_cents_per_hour) == (2400, 2400)
    assert (policy.waive_below_cents, policy.prepay_above_cents) == (500, 10000)
    assert policy.copy_cents_per_recording == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "colour"),
        ({"search_cents_per_hour": -1}, "search_cents_per_hour"),
        ({"review_cents_per_hour": "a lot"}, "review_cents_per_hour"),
        ({"waive_below_cents": 20000}, "prepayment could be asked for a waived fee"),
        ({"version": 0}, "version"),
    ],
)
def test_a_bad_file_is_a_clear_error(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(FeesFileError, match=message) as raised:
        load_fees(_write(tmp_path, **changes))
    assert "fees file" in str(raised.value) and str(tmp_path) in str(raised.value)


def test_a_missing_rate_and_a_non_yaml_file_are_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(PACKAGED.read_text())
    del data["prepay_above_cents"]
    path = tmp_path / "fees.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(FeesFileError, match="prepay_above_cents"):
        load_fees(path)
    path.write_text("search_cents_per_hour: [\n")
    with pytest.raises(FeesFileError, match="not valid YAML"):
        load_fees(path)


def test_an_invalid_file_stops_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sunlight.runtime import start
    from tests.conftest import embedded_settings

    monkeypatch.setenv(ENV_VAR, str(_write(tmp_path, extra_charge=5)))
    with pytest.raises(FeesFileError, match="fees file"):
        start(embedded_settings(tmp_path / "home"))


def _estimate(runtime: Runtime, **kw: object) -> tuple[fees.Estimate, int]:
    request_id, _ = file(runtime)
    with runtime.db.session() as session:
        estimate = service.set_estimate(
            session,
            service.get(session, request_id),
            search_hours=2,
            review_hours=3,
            recordings=4,
            prepayment=False,
            actor="user:1",
            now=MONDAY,
            **kw,  # type: ignore[arg-type]
        )
    return estimate, request_id


def test_an_estimate_records_the_files_hash(runtime: Runtime) -> None:
    packaged = load_fees(PACKAGED)
    estimate, request_id = _estimate(runtime)
    assert estimate.policy_sha256 == packaged.sha256 and len(packaged.sha256) == 64
    with runtime.db.session(read_only=True) as session:
        request = service.get(session, request_id)
        assert request.fee_details["policy_sha256"] == packaged.sha256
        assert request.fee_details["rates"]["search_cents_per_hour"] == 2400
        entry = session.scalars(
            select(RequestEvent).where(
                RequestEvent.request_id == request_id, RequestEvent.kind == "fee-estimate"
            )
        ).one()
        assert entry.details["policy_sha256"] == packaged.sha256
        custody = [
            e
            for e in session.scalars(
                select(CustodyEvent).where(
                    CustodyEvent.object_type == "request",
                    CustodyEvent.object_id == str(request_id),
                )
            )
            if e.details.get("kind") == "fee-estimate"
        ]
        assert [e.details["fees_policy_sha256"] for e in custody] == [packaged.sha256]


def test_changing_the_file_changes_estimates(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, _ = _estimate(runtime)
    assert before.total_cents == 5 * 2400
    path = _write(
        tmp_path,
        search_cents_per_hour=3000,
        review_cents_per_hour=1000,
        copy_cents_per_recording=250,
    )
    monkeypatch.setenv(ENV_VAR, str(path))
    after, request_id = _estimate(runtime)
    assert after.total_cents == 2 * 3000 + 3 * 1000 + 4 * 250
    assert after.policy_sha256 == load_fees(path).sha256 != before.policy_sha256
    with runtime.db.session(read_only=True) as session:
        details = service.get(session, request_id).fee_details
    assert details["rates"]["copy_cents_per_recording"] == 250
    # the prepayment threshold is the file's too
    path.write_text(
        PACKAGED.read_text().replace("prepay_above_cents: 10000", "prepay_above_cents: 600")
    )
    request_id, _ = file(runtime)
    with runtime.db.session() as session:
        asked = service.set_estimate(
            session,
            service.get(session, request_id),
            search_hours=0.5,
            review_hours=0,
            recordings=0,
            prepayment=True,
            actor="user:1",
            now=MONDAY,
        )
    assert asked.total_cents == 1200 and asked.rates["prepay_above_cents"] == 600


def test_the_fees_file_is_a_published_policy(tmp_path: Path) -> None:
    assert "fees" in KINDS
    checked = check_file("fees", PACKAGED)
    assert checked.sha256 == load_fees(PACKAGED).sha256 and checked.version == "1"
    from sunlight.errors import InvalidInput

    with pytest.raises(InvalidInput, match="fees file"):
        check_file("fees", _write(tmp_path, waive_below_cents="none"))
