"""The test S3 server helper: what happens without SeaweedFS, and how it picks ports."""

from __future__ import annotations

import pytest

from tests.support import seaweed


@pytest.fixture
def no_weed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUNLIGHT_TEST_S3_URL", raising=False)
    monkeypatch.setattr(seaweed, "weed_binary", lambda: None)


@pytest.mark.usefixtures("no_weed")
def test_missing_weed_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="weed"), seaweed.seaweedfs_server():
        pass


@pytest.mark.usefixtures("no_weed")
def test_missing_weed_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"), seaweed.seaweedfs_server():
        pass


def test_external_server_needs_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNLIGHT_TEST_S3_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    with pytest.raises(ValueError, match="AWS_ACCESS_KEY_ID"), seaweed.seaweedfs_server():
        pass


def test_ports_are_distinct_and_the_admin_pair_keeps_its_gap() -> None:
    ports = seaweed.free_ports(8)
    assert len(set(ports)) == 8
    admin, grpc = seaweed._admin_port_pair(ports)
    assert grpc == admin + 10_000
    assert admin not in ports
    assert grpc not in ports
