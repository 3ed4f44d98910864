"""The release domain's public API: open a release case per incident, prepare and review
redacted candidates, hand them to the release authority, decide (release now or at an
embargo time, or withhold citing a statute), extend the clock with a written basis, and
record court petitions and orders.

The work is done by one module per job; this module only names what callers may use:

- ``cases``: open, move along the state table, withhold;
- ``candidates``: add a redacted copy, a reviewer's sign-off, policy exclusions;
- ``decisions``: release (now or embargoed), extend, the serve schedule's embargo sweep;
- ``court``: petitions and orders (RSMo 610.100), an order confirmed by a second person;
- ``queries``: the list of cases, a case's clock, the copies released to the public.

Every change is a custody event written through ``custody.record`` in the caller's
transaction, with the release rule id, the policy version and the policy file's SHA-256.
The domain checks the principal itself (``sunlight.access.decide``) on every act: the
department prepares, only the agency holding release authority decides.
"""

from __future__ import annotations

from sunlight.errors import NotFound
from sunlight.release.candidates import add_candidate, candidate_of, exclusions, review_candidate
from sunlight.release.cases import move, open_case, withhold
from sunlight.release.common import case_for, get_case
from sunlight.release.court import (
    ORDER_OUTCOMES,
    confirm_order,
    file_petition,
    order,
    petition,
    record_order,
    record_refused_confirmation,
)
from sunlight.release.decisions import (
    MIN_BASIS_CHARS,
    SWEEP_ACTOR,
    SweepReport,
    decide_release,
    extend,
    sweep,
    warn_staff,
)
from sunlight.release.queries import ReleasedCopy, clock_for, list_cases, released_copies
from sunlight.release.states import InvalidReleaseChange

__all__ = [
    "MIN_BASIS_CHARS",
    "ORDER_OUTCOMES",
    "SWEEP_ACTOR",
    "InvalidReleaseChange",
    "NotFound",
    "ReleasedCopy",
    "SweepReport",
    "add_candidate",
    "candidate_of",
    "case_for",
    "clock_for",
    "confirm_order",
    "decide_release",
    "exclusions",
    "extend",
    "file_petition",
    "get_case",
    "list_cases",
    "move",
    "open_case",
    "order",
    "petition",
    "record_order",
    "record_refused_confirmation",
    "released_copies",
    "review_candidate",
    "sweep",
    "warn_staff",
    "withhold",
]
