"""`sunlight serve`'s log configuration hides private links in uvicorn's access log."""

from __future__ import annotations

import logging
import logging.config

import pytest

from sunlight.notify.masking import HIDDEN
from sunlight.web.server_logging import MASK, log_config

TOKEN = "Q" * 43


@pytest.fixture
def configured() -> object:
    before = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    }
    logging.config.dictConfig(log_config())
    yield
    for name, (handlers, propagate) in before.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.propagate = propagate


def test_every_handler_masks() -> None:
    config = log_config()
    assert config["handlers"]
    assert all(MASK in h["filters"] for h in config["handlers"].values())


def test_the_access_log_hides_a_private_links_token(
    configured: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # configure again now that capsys holds sys.stdout/sys.stderr (the handlers bind then)
    logging.config.dictConfig(log_config())
    access = logging.getLogger("uvicorn.access")
    for path in (f"/s/{TOKEN}", f"/public/requests/track/{TOKEN}?lang=es"):
        # uvicorn's own call: its formatter reads these five arguments
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    logging.getLogger("uvicorn.error").info("asked for %s", f"/s/{TOKEN}")
    out = capsys.readouterr()
    text = out.out + out.err
    assert TOKEN not in text
    assert text.count(HIDDEN) == 3
    assert '"GET /s/' + HIDDEN + ' HTTP/1.1" 200' in text
