"""The log configuration ``sunlight serve`` gives uvicorn: uvicorn's own, with every handler
masking private links (``notify.masking``). The access log would otherwise write each
``GET /s/TOKEN`` and ``/public/requests/track/TOKEN`` with the credential in clear."""

from __future__ import annotations

import copy
from typing import Any

#: The filter's name in the logging configuration.
MASK = "private_links"


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, each handler filtered by ``MaskingFilter``."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})[MASK] = {"()": "sunlight.notify.masking.MaskingFilter"}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), MASK]
    return config
