"""ASGI middleware: refuse input that no route can store, before any route sees it.

- a path or query string with a NUL character (PostgreSQL refuses NUL in text);
- a JSON body that nests deeper than ``MAX_JSON_DEPTH``, holds NaN/Infinity or a number
  out of float range, or a string with NUL or an unpaired surrogate;
- a JSON body over ``MAX_JSON_BYTES`` (413);
- a form body with a NUL character.

Each is answered with a 4xx and a JSON ``detail`` that says what is wrong. Other bodies
(uploads, CSV files) stream through untouched; their own handlers check them.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sunlight.errors import InvalidInput
from sunlight.validation import loads_json

MAX_JSON_BYTES = 32 * 1024 * 1024
_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}


class InputGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"\x00" in unquote_to_bytes(
            scope.get("query_string", b"")
        ):
            await _refuse(send, 400, "the URL contains a NUL character")
            return
        kind = _content_type(scope)
        json_body = "json" in kind
        form_body = kind.startswith("application/x-www-form-urlencoded")
        if scope.get("method") not in _WITH_BODY or not (json_body or form_body):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_JSON_BYTES:
                await _refuse(send, 413, f"a request body is limited to {MAX_JSON_BYTES} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            if json_body and body.strip():
                loads_json(body)
            elif form_body and b"\x00" in unquote_to_bytes(body.replace(b"+", b" ")):
                raise InvalidInput("the form contains a NUL character")
        except InvalidInput as exc:
            await _refuse(send, 422 if json_body else 400, exc.message)
            return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return str(value.decode("latin-1").lower())
    return ""


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
