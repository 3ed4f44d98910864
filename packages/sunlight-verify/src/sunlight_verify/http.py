"""A minimal HTTP client over the standard library's urllib (no third-party client).

:class:`UrllibClient` has the two methods the verifier and the witness use, ``get`` and
``post(json=...)``, and returns a :class:`Response` with ``status_code``, ``text`` and
``json()``: the same shape as an ``httpx`` client, so tests may pass one of those instead.
An HTTP error status is a response, not an exception; a transport failure (no route, DNS,
TLS, timeout) raises :class:`TransportError`, an ``OSError``.
"""

from __future__ import annotations

import json as _json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["MAX_BODY", "Http", "HttpResponse", "Response", "TransportError", "UrllibClient"]

#: The most a verifier reads of any one response (proofs and checkpoints are small).
MAX_BODY = 16 * 1024 * 1024


class TransportError(OSError):
    """The request got no HTTP answer at all."""


class HttpResponse(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class Http(Protocol):
    def get(self, url: str) -> HttpResponse: ...

    def post(self, url: str, *, json: Any) -> HttpResponse: ...


@dataclass(frozen=True)
class Response:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return _json.loads(self.content.decode("utf-8"))


class UrllibClient:
    """GET and POST with urllib; follows redirects; only http and https URLs."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    def _send(self, request: urllib.request.Request) -> Response:
        if not request.full_url.lower().startswith(("http://", "https://")):
            raise TransportError(f"{request.full_url}: only http and https URLs are fetched")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:  # noqa: S310
                body = reply.read(MAX_BODY + 1)
                if len(body) > MAX_BODY:
                    raise TransportError(f"{request.full_url}: the answer exceeds {MAX_BODY} bytes")
                return Response(reply.status, body)
        except urllib.error.HTTPError as exc:
            body = exc.read(64 * 1024) if exc.fp is not None else b""
            return Response(exc.code, body)
        except TransportError:
            raise
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TransportError(str(getattr(exc, "reason", exc))) from exc

    def get(self, url: str) -> Response:
        return self._send(urllib.request.Request(url, method="GET"))  # noqa: S310

    def post(self, url: str, *, json: Any) -> Response:
        data = _json.dumps(json).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        return self._send(request)
