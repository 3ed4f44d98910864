"""HTTP Range (RFC 9110 §14) for stored objects, the same on every storage back end.

One range per response: a ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` request gets 206 with
``Content-Range``; an unsatisfiable one gets 416; several ranges get the whole object (200),
which RFC 9110 allows and which every video player copes with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from sunlight.storage import ObjectStore


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """None means "send everything" (no header, a header we ignore, or several ranges).

    RFC 9110 §14.1.1: ``bytes=first-[last]`` or ``bytes=-suffix``, positions being digits
    only (no sign, space or underscore). A syntactically invalid range is ignored (200);
    a valid one that selects nothing (``first`` past the end, a zero suffix, any range of an
    empty object) raises ``Unsatisfiable`` (416).
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    spec = spec.strip()
    if unit.strip().lower() != "bytes" or not spec or "," in spec:
        return None
    first, sep, last = spec.partition("-")
    first, last = first.strip(), last.strip()
    if not sep or not _digits(last, allow_empty=bool(first)) or not _digits(first, True):
        return None  # malformed: RFC 9110 lets a server ignore the header
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable(header)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid range-spec: ignore
    if start >= size:
        raise Unsatisfiable(header)
    return ByteRange(start, min(end, size - 1))


def _digits(text: str, allow_empty: bool) -> bool:
    if text == "":
        return allow_empty
    return text.isascii() and text.isdigit()


def object_response(
    request: Request,
    store: ObjectStore,
    sha256: str,
    *,
    media_type: str,
    filename: str | None = None,
    inline: bool = True,
) -> Response:
    """Serve one stored object with Range, HEAD, a strong ETag and long caching.

    The ETag is the SHA-256 itself: content-addressed bytes never change under a name.
    """
    size = store.size(sha256)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, max-age=31536000, immutable",
        "X-Content-SHA256": sha256,
    }
    if filename:
        disposition = "inline" if inline else "attachment"
        safe = filename.replace('"', "").encode("ascii", "replace").decode()
        headers["Content-Disposition"] = f'{disposition}; filename="{safe}"'
    if request.headers.get("if-none-match") == f'"{sha256}"':
        return Response(status_code=304, headers=headers)

    wanted: ByteRange | None
    if_range = request.headers.get("if-range")
    try:
        wanted = parse_range(request.headers.get("range"), size)
    except Unsatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if wanted is not None and if_range and if_range != f'"{sha256}"':
        wanted = None

    if wanted is None:
        status, start, end = 200, 0, size - 1
    else:
        status, start, end = 206, wanted.start, wanted.end
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(max(0, end - start + 1))

    if request.method == "HEAD" or size == 0:
        return Response(status_code=status, headers=headers, media_type=media_type)

    def body() -> Iterator[bytes]:
        yield from store.iter_range(sha256, start, end, chunk_size=1024 * 1024)

    return StreamingResponse(body(), status_code=status, headers=headers, media_type=media_type)
