"""How the records-request vocabulary (statuses, due states, requester types, the fixed
notes and timeline lines) and the incident types read on the public pages, in the
reader's language.

The domain keeps its English codes and stored texts; these are only the words shown. A text
with no translation (a staff member's message, a holiday's name) is shown as written."""

from __future__ import annotations

import jinja2

from sunlight.incidents.terms import INCIDENT_TYPES
from sunlight.portal.i18n import N_, gettext

STATUS: dict[str, str] = {
    "received": N_("received"),
    "acknowledged": N_("acknowledged"),
    "clarification-requested": N_("clarification requested"),
    "in-progress": N_("in progress"),
    "delayed": N_("delayed"),
    "fulfilled": N_("fulfilled"),
    "partially-fulfilled": N_("partially fulfilled"),
    "denied": N_("denied"),
    "withdrawn": N_("withdrawn"),
    "reopened": N_("reopened"),
}
DUE_STATE: dict[str, str] = {
    "on-time": N_("on time"),
    "due-soon": N_("due soon"),
    "due-today": N_("due today"),
    "overdue": N_("overdue"),
    "paused": N_("paused"),
    "closed": N_("closed"),
}
#: The request form's "You are asking as ..." choices.
REQUESTER: dict[str, str] = {
    "public": N_("a member of the public"),
    "media": N_("the media"),
    "depicted": N_("a person depicted or heard in the video"),
    "guardian": N_("the guardian of a person depicted"),
    "relative": N_("a first-degree relative of a person depicted"),
    "attorney": N_("the attorney of a person depicted"),
    "insurer": N_("the insurer of a person depicted"),
}
#: The requester category the public log shows.
CATEGORY: dict[str, str] = {"public": N_("member of the public"), "media": N_("media")}
#: Fixed English lines the request pages show as they are stored or computed (clock notes,
#: skipped weekdays, status lines on the requester's timeline): translated when shown.
FIXED_TEXT: tuple[str, ...] = (
    N_("act on the request (fulfil, deny, or delay with explanation): RSMo 610.023.3"),
    N_("paused: waiting for the requester's clarification"),
    N_("the request is closed"),
    N_("written grounds for the denial, citing the provision: RSMo 610.023.3"),
    N_("Saturday"),
    N_("Sunday"),
    N_("The department acknowledged your request."),
    N_("Staff are working on your request."),
    N_("Your request was fulfilled."),
    N_("The request was withdrawn."),
    N_("Your request was reopened."),
    N_("Payment received."),
    N_("Your identity and your relationship to the person depicted were verified."),
    N_("You acknowledged the duty to give 10 days' notice before display."),
    N_(
        "This recording was made in a nonpublic location. Under RSMo 610.100.3 you must give "
        "each person depicted in it at least 10 days' notice before you display or disclose it "
        "to anyone else."
    ),
)


def _label(table: dict[str, str]) -> object:
    def label(code: str | None) -> str:
        if not code:
            return "—"
        return gettext(table.get(code, code))

    return label


def text(value: str | None) -> str:
    """A stored or computed English line, translated when it is one of the fixed ones."""
    return gettext(value) if value else ""


def install(env: jinja2.Environment) -> None:
    env.globals["status_label"] = _label(STATUS)
    env.globals["due_state_label"] = _label(DUE_STATE)
    env.globals["requester_label"] = _label(REQUESTER)
    env.globals["category_label"] = _label(CATEGORY)
    #: an incident type's name (the incident vocabulary's English, translated in relpage.po)
    env.globals["incident_type_label"] = _label(INCIDENT_TYPES)
    env.globals["known_text"] = text
