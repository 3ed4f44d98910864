"""The error families of every Sunlight domain.

A domain raises the family that says what went wrong (not found, a conflict, bad input,
busy, ...) with a message for the person who asked; the web app maps the families to HTTP
answers once (``sunlight.web.app``), and the CLI prints the message. Domain-specific errors
subclass a family, so they keep their own names and still get the right answer everywhere.

This module imports nothing of Sunlight: every layer may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SunlightError(Exception):
    """Base of every error that Sunlight raises on purpose.

    ``message`` is shown to the caller as is; ``diagnostics`` carries structured detail
    (the field, the limit, the value's length, ...) that an API client can read.
    """

    _diagnostics: dict[str, Any] | None = None

    def __init__(self, message: str = "", *, diagnostics: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self._diagnostics = dict(diagnostics) if diagnostics else None

    # Properties, not attributes set in __init__: a subclass that also derives from a builtin
    # error (``class ObjectNotFound(StorageError, NotFound)``) runs the builtin's __init__.
    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__

    @property
    def diagnostics(self) -> dict[str, Any]:
        return dict(self._diagnostics or {})


class NotFound(SunlightError, LookupError):
    """The thing asked for does not exist (HTTP 404)."""


class InvalidInput(SunlightError, ValueError):
    """The request itself is malformed or out of range: a bad id, date, text... (HTTP 422)."""


class InvalidChange(InvalidInput):
    """The request is well-formed but breaks a rule (HTTP 422)."""


class Conflict(InvalidChange):
    """The change collides with what exists or a rule that protects it (HTTP 409)."""


class RoleNotAllowed(InvalidChange):
    """A role given to someone whose kind of agency may not hold it under the access policy
    (a department role for an outside agency's user, or a move to such an agency); nothing
    is changed (HTTP 422). ``diagnostics`` names the ``roles`` and the ``agency_kind``."""


class Forbidden(SunlightError):
    """The caller may not do this, whatever the input (HTTP 403)."""


class SecondPersonRequired(Forbidden):
    """A two-person act: the person who did the first half cannot do the second (HTTP 403)."""


class TooLarge(InvalidInput):
    """The request is larger than this installation accepts (HTTP 413)."""


class Unavailable(SunlightError):
    """A service the request needs is not available now; retrying later may work (HTTP 503)."""


class Busy(Unavailable):
    """Another writer holds what this request needs; retry shortly (HTTP 503, Retry-After)."""

    #: Seconds a client should wait before retrying (the Retry-After header).
    retry_after_s = 1


class InsufficientStorage(Unavailable):
    """There is not room to store what the request would store (HTTP 507)."""


# Most specific first: the first family an error belongs to decides its HTTP status.
HTTP_STATUS: tuple[tuple[type[SunlightError], int], ...] = (
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooLarge, 413),
    (InsufficientStorage, 507),
    (Unavailable, 503),
    (InvalidInput, 422),
)


def http_status(error: SunlightError) -> int:
    """The HTTP status of an error's family (500 for the bare base: a bug, not an answer)."""
    for family, status in HTTP_STATUS:
        if isinstance(error, family):
            return status
    return 500
