"""Request dependencies. Every staff page and API call goes through ``require``.

TEMPORARY (access work in progress): every request acts as a department principal with all
staff roles, until sign-in lands. Replaced by web/auth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from sunlight.access import Permission, Principal, may_ever
from sunlight.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# The running system, for route signatures: ``runtime: RuntimeDep``.
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

LOCAL_ADMINISTRATOR = Principal(
    id="admin:local",
    display_name="Local administrator",
    kind="system",
    roles=frozenset({"system"}),
    auth="system",
)


def current_principal(request: Request) -> Principal:
    return LOCAL_ADMINISTRATOR


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that admits the request only if its principal holds ``permission``."""

    def dependency(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        if not may_ever(principal, permission):
            raise HTTPException(status_code=403, detail=f"requires permission {permission}")
        request.state.actor = principal
        return principal

    dependency.__name__ = f"require_{permission.name.lower()}"
    dependency.permission = permission  # type: ignore[attr-defined]  # read by the route table
    return dependency
