"""Who is acting: a user, an API token, a share link, a named system job, or the public.

Every face (web, API, tus uploads, CLI, workers, scheduled jobs) builds one and passes it
down; its ``id`` is what custody events record.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sunlight.access.permissions import Permission

Kind = Literal["user", "token", "share", "system", "public"]
#: How the principal proved who it is.
AuthMethod = Literal["session", "token", "share", "cli", "system", "none"]


@dataclass(frozen=True)
class Principal:
    id: str  # recorded in custody events: user:12, token:4, share:9, system:retention, cli:root
    display_name: str
    kind: Kind
    roles: frozenset[str] = field(default_factory=frozenset)
    agency_id: int | None = None
    agency_kind: str | None = None
    unit: str | None = None
    officer_id: int | None = None
    user_id: int | None = None
    token_id: int | None = None
    share_id: int | None = None
    #: tokens and share links hold exactly these permissions (None: whatever the roles grant)
    granted: frozenset[Permission] | None = None
    auth: AuthMethod = "none"
    session_id: int | None = None
    reauth_at: datetime | None = None

    @classmethod
    def system(cls, job: str, *, agency_id: int | None = None) -> Principal:
        """A named background job (``system:retention``, ``system:worker``, ...)."""
        return cls(
            id=f"system:{job}",
            display_name=f"Sunlight {job} job",
            kind="system",
            roles=frozenset({"system"}),
            agency_id=agency_id,
            agency_kind="department" if agency_id is not None else None,
            auth="system",
        )

    @classmethod
    def cli(cls, *, agency_id: int | None = None, operator: str | None = None) -> Principal:
        """Whoever runs ``sunlight`` on the server: shell access to the archive is
        administration, and it is recorded under the operating-system account's name."""
        name = operator or _os_user()
        return cls(
            id=f"cli:{name}",
            display_name=f"{name} (command line)",
            kind="system",
            roles=frozenset({"system"}),
            agency_id=agency_id,
            agency_kind="department" if agency_id is not None else None,
            auth="cli",
        )

    @classmethod
    def public(cls) -> Principal:
        return cls(id="public", display_name="Member of the public", kind="public", auth="none")

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "public"


def _os_user() -> str:
    """The operating-system account running the command, from the process's effective user
    id (not ``$USER``/``$LOGNAME``, which whoever runs the command can set to any name: the
    two-person rule on court orders tells people apart by this name)."""
    try:
        import pwd

        name = pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, OSError):
        try:
            name = getpass.getuser()
        except Exception:
            name = "operator"
    return "".join(ch for ch in name if ch.isalnum() or ch in "-_.")[:40] or "operator"
