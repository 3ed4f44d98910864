"""`sunlight serve` refuses a non-loopback address without TLS or a trusted proxy."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sunlight.access.audit import AuthAction
from sunlight.cli.main import cli
from sunlight.evidence.custody import Action
from sunlight.web.security import WebSecurity, is_loopback, serve_refusal


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_nothing(host: str) -> None:
    assert is_loopback(host)
    assert serve_refusal(host, certfile=None, keyfile=None, trusted_proxy=None) is None


def test_non_loopback_needs_tls_or_a_proxy() -> None:
    message = serve_refusal("0.0.0.0", certfile=None, keyfile=None, trusted_proxy=None)
    assert message and "--ssl-certfile" in message and "SUNLIGHT_TRUSTED_PROXY" in message
    assert serve_refusal("0.0.0.0", certfile="c.pem", keyfile="k.pem", trusted_proxy=None) is None
    assert serve_refusal("10.1.2.3", certfile=None, keyfile=None, trusted_proxy="10.0.0.5") is None
    assert serve_refusal("0.0.0.0", certfile="c.pem", keyfile=None, trusted_proxy=None)


def test_serve_command_refuses_before_starting(tmp_path: Path) -> None:
    env = {"SUNLIGHT_HOME": str(tmp_path / "home"), "SUNLIGHT_TRUSTED_PROXY": ""}
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"], env=env)
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0" in result.output
    assert "--ssl-certfile cert.pem --ssl-keyfile key.pem" in result.output
    assert not (tmp_path / "home").exists()  # nothing was started or created


def test_allowed_hosts_from_the_environment() -> None:
    config = WebSecurity.from_env({"SUNLIGHT_ALLOWED_HOSTS": "bwc.kcpd.example, 10.0.0.7"})
    assert config.host_allowed("bwc.kcpd.example:443")
    assert config.host_allowed("10.0.0.7")
    assert not config.host_allowed("localhost")
    default = WebSecurity.from_env({})
    assert default.host_allowed("[::1]:8000") and default.host_allowed("testserver")
    assert not default.host_allowed("evil.example")


def test_each_action_name_belongs_to_one_vocabulary() -> None:
    # Sign-in and account actions live only in AuthAction; custody.record
    # takes either enum, so one name in both would make the ledger ambiguous.
    assert not {str(a) for a in AuthAction} & {str(a) for a in Action}
