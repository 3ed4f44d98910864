"""Request dependencies. Every staff page and API call goes through ``require``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from sunlight.access import LOCAL_ADMINISTRATOR, Actor, Permission, can
from sunlight.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# The running system, for route signatures: ``runtime: RuntimeDep``.
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def current_actor(request: Request) -> Actor:
    # Sign-in arrives with access control; until then this installation's only user is
    # its local administrator. This is the one place that will change.
    return LOCAL_ADMINISTRATOR


def require(permission: Permission) -> Callable[[Request], Actor]:
    """A dependency that admits the request only if its actor holds ``permission``."""

    def dependency(request: Request) -> Actor:
        actor = current_actor(request)
        if not can(actor, permission):
            raise HTTPException(status_code=403, detail=f"requires permission {permission}")
        request.state.actor = actor
        return actor

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency
