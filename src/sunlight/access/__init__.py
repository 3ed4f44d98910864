"""Who may do what: one permission vocabulary and one policy function, ``can``."""

from sunlight.access.policy import LOCAL_ADMINISTRATOR, Actor, Permission, can

__all__ = ["LOCAL_ADMINISTRATOR", "Actor", "Permission", "can"]
