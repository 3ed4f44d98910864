"""Who may do what: one permission vocabulary, one published policy, one decision.

``decide`` answers "may this principal do this, to this resource?" with the rule that
decided and why; ``visible`` answers "which may it see?" as SQL from the same rules.
"""

from sunlight.access.decide import Decision, Reason, can, decide, may_ever, visible
from sunlight.access.permissions import INFO, Permission, PermissionInfo
from sunlight.access.policy import AccessPolicy, AccessPolicyError, load_access_policy
from sunlight.access.principal import Principal

__all__ = [
    "INFO",
    "AccessPolicy",
    "AccessPolicyError",
    "Decision",
    "Permission",
    "PermissionInfo",
    "Principal",
    "Reason",
    "can",
    "decide",
    "load_access_policy",
    "may_ever",
    "visible",
]
