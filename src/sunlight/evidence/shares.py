"""Sharing a recording: with an agency (a prosecutor's office: its accounts see it) or
through a link (defence counsel, a complainant: the link is the credential).

A share expires (the policy's ``shares.max_days`` at most) and can be revoked; revoking a
share revokes every share made from it. A share marked ``can_reshare`` can be shared on,
never for longer than itself and never with more than it allows. Every creation,
revocation and use of a share is a custody event on the recording.

This lives in the evidence domain, not in ``access``, because it writes custody events
and ``access`` imports no domain. The SQL conditions the policy names (``shared_link``,
``shared_with_agency``) are in :mod:`sunlight.access.sharing_rules`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal, Reason, decide, load_access_policy
from sunlight.access.decide import DEFAULT_DENY
from sunlight.access.models import Agency, Share
from sunlight.access.sharing_rules import active
from sunlight.db.base import utcnow
from sunlight.errors import Conflict, Forbidden, InvalidInput, NotFound
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.evidence.models import CustodyEvent, Recording

RecipientKind = Literal["prosecutor", "defence", "complainant", "requester"]
#: ``requester``: a records requester's copy (``sunlight.requests``), made by delivery.
RECIPIENT_KINDS: tuple[str, ...] = ("prosecutor", "defence", "complainant", "requester")
ShareUse = Literal["view", "stream", "download"]
ShareState = Literal["active", "expired", "revoked"]

#: What a link's visitor may do, whatever the link: open the page, play, read custody.
LINK_PERMISSIONS = frozenset(
    {
        Permission.RECORDING_LIST,
        Permission.RECORDING_VIEW,
        Permission.RECORDING_STREAM,
        Permission.CUSTODY_VIEW,
    }
)
#: A player's many Range requests for one viewing through a link count as one use.
USE_DEDUP_WINDOW = timedelta(minutes=5)
MAX_LIST = 500
LINK_BYTES = 32  # 256 bits: the link is the credential


@dataclass(frozen=True)
class LinkVisit:
    """A link resolved to its share (which may be expired or revoked: ``state`` says)."""

    share: Share
    state: ShareState

    @property
    def usable(self) -> bool:
        return self.state == "active"


def link_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def state_of(share: Share, now: datetime) -> ShareState:
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at <= now:
        return "expired"
    return "active"


def link_principal(share: Share) -> Principal:
    """The visitor of a share link acts as the share itself (``share:ID``), for its one
    recording (the policy's ``share-links`` rule), within what the link allows."""
    granted = set(LINK_PERMISSIONS)
    if share.can_download:
        granted.add(Permission.RECORDING_DOWNLOAD)
    return Principal(
        id=f"share:{share.id}",
        display_name=f"Share link for {share.recipient}",
        kind="share",
        roles=frozenset({"share-recipient"}),
        share_id=share.id,
        granted=frozenset(granted),
        auth="share",
    )


def _details(share: Share, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {
        "share_id": share.id,
        "recipient": share.recipient,
        "recipient_kind": share.recipient_kind,
        "agency_id": share.agency_id,
        "link": share.link_sha256 is not None,
        "link_sha256": share.link_sha256,
        "can_download": share.can_download,
        "can_reshare": share.can_reshare,
        "expires_at": share.expires_at.isoformat(),
    }
    if share.parent_id is not None:
        details["parent_id"] = share.parent_id
    details.update(extra)
    return details


def _days(requested: int | None, now: datetime, parent: Share | None) -> datetime:
    rules = load_access_policy().policy.shares
    if requested is not None and not 1 <= requested <= rules.max_days:
        raise InvalidInput(
            f"a share lasts 1 to {rules.max_days} days (the access policy's shares.max_days)"
        )
    expires = now + timedelta(days=requested or rules.default_days)
    if parent is not None and expires > parent.expires_at:
        if requested is not None:
            raise InvalidInput(
                f"a reshare cannot outlast the share it was made from "
                f"(share {parent.id} expires {parent.expires_at.isoformat()})"
            )
        expires = parent.expires_at
    return expires


def create_share(
    session: Session,
    *,
    recording_id: int,
    recipient: str,
    recipient_kind: str,
    reason: str,
    actor: Principal,
    agency_id: int | None = None,
    link: bool = True,
    can_download: bool = False,
    can_reshare: bool = False,
    expires_days: int | None = None,
    parent_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Share, str | None]:
    """Share one recording; returns the share and, for a link share, the link token (shown
    once: only its SHA-256 is kept). The caller has checked ``share:create`` on the
    recording; a reshare (``parent_id``) is checked here against its parent."""
    now = now or utcnow()
    recipient = " ".join(recipient.split())
    reason = " ".join(reason.split())
    if not recipient or len(recipient) > 200:
        raise InvalidInput("name the recipient (at most 200 characters)")
    if recipient_kind not in RECIPIENT_KINDS:
        raise InvalidInput(f"recipient_kind must be one of {', '.join(RECIPIENT_KINDS)}")
    if not reason:
        raise InvalidInput("a share needs a reason (recorded in the custody log)")
    if not link and agency_id is None:
        raise InvalidInput("a share goes to an agency (agency_id), through a link, or both")
    if session.get(Recording, recording_id) is None:
        raise NotFound(f"no recording {recording_id}")
    if agency_id is not None:
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise InvalidInput(f"no agency {agency_id}")
        if agency.kind == "department":
            raise InvalidInput("the department sees its own footage; share with another agency")

    parent = None
    if parent_id is None and is_outsider(actor):
        raise Forbidden(
            "outside the department, footage is shared on only from a share made to your "
            "agency that allows resharing (POST /api/shares/{id}/reshare)"
        )
    if parent_id is not None:
        parent = _reshare_parent(session, parent_id, recording_id, actor, now)
        if agency_id is not None and is_outsider(actor):
            raise Forbidden("outside the department, footage is shared on through a link only")
        if can_download and not parent.can_download:
            raise Forbidden(f"share {parent.id} does not allow downloads, so a reshare cannot")
    expires_at = _days(expires_days, now, parent)

    raw = secrets.token_urlsafe(LINK_BYTES) if link else None
    share = Share(
        recording_id=recording_id,
        recipient=recipient,
        recipient_kind=recipient_kind,
        agency_id=agency_id,
        link_sha256=link_hash(raw) if raw else None,
        can_download=can_download,
        can_reshare=can_reshare,
        parent_id=parent.id if parent else None,
        reason=reason,
        created_by=actor.id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(share)
    session.flush()
    if link:
        # A link that the policy's restrictions would refuse anyway (footage of vulnerable
        # people, say) is refused now rather than handed out broken.
        opened = decide(
            session, link_principal(share), Permission.RECORDING_VIEW, recording_id, now=now
        )
        if not opened.allowed and opened.rule != DEFAULT_DENY:
            raise Forbidden(
                f"a share link cannot open this recording: {opened.reason}",
                diagnostics={"rule": opened.rule},
            )
    record(
        session,
        actor=actor.id,
        action=Action.SHARE_CREATE,
        object_type="recording",
        object_id=recording_id,
        reason=reason,
        details=_details(share),
        at=now,
    )
    return share, raw


def is_outsider(principal: Principal) -> bool:
    """Not the department (nor one of Sunlight's own jobs): a partner agency, a token, a link."""
    return principal.kind != "system" and principal.agency_kind != "department"


def _reshare_parent(
    session: Session, parent_id: int, recording_id: int, actor: Principal, now: datetime
) -> Share:
    parent = session.get(Share, parent_id)
    if parent is None or parent.recording_id != recording_id:
        raise NotFound(f"no share {parent_id} of recording {recording_id}")
    if state_of(parent, now) != "active":
        raise Forbidden(f"share {parent.id} is {state_of(parent, now)}: it cannot be reshared")
    if not parent.can_reshare:
        raise Forbidden(f"share {parent.id} does not allow resharing")
    if is_outsider(actor) and (parent.agency_id is None or parent.agency_id != actor.agency_id):
        raise Forbidden(f"share {parent.id} was not made to your agency")
    return parent


def revoke_share(
    session: Session,
    share_id: int,
    *,
    actor: Principal,
    reason: str,
    now: datetime | None = None,
) -> list[Share]:
    """Revoke a share and every share made from it; one custody event for each. Returns
    the shares revoked (the named one first)."""
    now = now or utcnow()
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("a revocation needs a reason (recorded in the custody log)")
    share = session.get(Share, share_id)
    if share is None:
        raise NotFound(f"no share {share_id}")
    if share.revoked_at is not None:
        raise Conflict(f"share {share_id} was already revoked on {share.revoked_at.isoformat()}")
    revoked: list[Share] = []
    frontier = [share]
    while frontier:
        current = frontier.pop(0)
        if current.revoked_at is None:
            current.revoked_at = now
            current.revoked_by = actor.id
            revoked.append(current)
        frontier.extend(
            session.scalars(select(Share).where(Share.parent_id == current.id).order_by(Share.id))
        )
    session.flush()
    for item in revoked:
        extra: dict[str, Any] = {} if item is share else {"because_parent_revoked": share.id}
        extra["revoked_at"] = now.isoformat()
        record(
            session,
            actor=actor.id,
            action=Action.SHARE_REVOKE,
            object_type="recording",
            object_id=item.recording_id,
            reason=reason,
            details=_details(item, **extra),
            at=now,
        )
    return revoked


def get_share(session: Session, share_id: int) -> Share:
    share = session.get(Share, share_id)
    if share is None:
        raise NotFound(f"no share {share_id}")
    return share


def shares_of_recording(
    session: Session, recording_id: int, *, scope: ColumnElement[bool] | None = None
) -> list[Share]:
    return list(
        session.scalars(
            select(Share)
            .where(Share.recording_id == recording_id, true() if scope is None else scope)
            .order_by(Share.id.desc())
            .limit(MAX_LIST)
        )
    )


def list_shares(
    session: Session,
    *,
    recipient: str | None = None,
    agency_id: int | None = None,
    active_only: bool = False,
    before_id: int | None = None,
    limit: int = 100,
    scope: ColumnElement[bool] | None = None,
    now: datetime | None = None,
) -> list[Share]:
    """Shares by recipient (a case-insensitive substring) and/or agency, newest first, a
    page at a time (``before_id``: keyset paging)."""
    now = now or utcnow()
    where: list[ColumnElement[bool]] = [] if scope is None else [scope]
    if recipient:
        where.append(Share.recipient.ilike(f"%{_like(recipient)}%", escape="\\"))
    if agency_id is not None:
        where.append(Share.agency_id == agency_id)
    if active_only:
        where.append(active(now))
    if before_id is not None:
        where.append(Share.id < before_id)
    query = select(Share).where(*where).order_by(Share.id.desc()).limit(min(limit, MAX_LIST))
    return list(session.scalars(query))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def resolve_link(session: Session, raw: str, *, now: datetime | None = None) -> LinkVisit | None:
    """The share a link token names (None: no such link). Compared by its SHA-256."""
    now = now or utcnow()
    if not raw or len(raw) > 200:
        return None
    digest = link_hash(raw)
    share = session.scalar(select(Share).where(Share.link_sha256 == digest))
    if share is None or share.link_sha256 is None:
        return None
    if not hmac.compare_digest(share.link_sha256, digest):
        return None
    return LinkVisit(share, state_of(share, now))


def record_use(
    session: Session,
    share: Share,
    use: ShareUse,
    *,
    outcome: Outcome = Outcome.SUCCESS,
    why: str | None = None,
    rule: str | None = None,
    dedup: bool = False,
    now: datetime | None = None,
) -> CustodyEvent | None:
    """One use of a link (a view, a stream, a download), or a refused attempt, as a custody
    event on the recording by ``share:ID``. With ``dedup``, a repeat of the same use within
    a few minutes (a player's Range requests) is not recorded again."""
    now = now or utcnow()
    actor = f"share:{share.id}"
    if dedup and _recently_used(session, actor, share.recording_id, use, outcome, now):
        return None
    details: dict[str, Any] = {"share_id": share.id, "use": use, "rule": rule or "share-links"}
    return record(
        session,
        actor=actor,
        action=Action.SHARE_USE,
        object_type="recording",
        object_id=share.recording_id,
        outcome=outcome,
        reason=why if why is not None else share.reason,
        details=details,
        at=now,
    )


def _recently_used(
    session: Session, actor: str, recording_id: int, use: str, outcome: Outcome, now: datetime
) -> bool:
    recent: Sequence[CustodyEvent] = session.scalars(
        select(CustodyEvent)
        .where(
            CustodyEvent.object_type == "recording",
            CustodyEvent.object_id == str(recording_id),
            CustodyEvent.actor == actor,
            CustodyEvent.action == str(Action.SHARE_USE),
            CustodyEvent.occurred_at >= now - USE_DEDUP_WINDOW,
        )
        .order_by(CustodyEvent.id.desc())
        .limit(20)
    ).all()
    return any(e.outcome == str(outcome) and (e.details or {}).get("use") == use for e in recent)


def share_reason(share: Share) -> Reason | None:
    """The share's own reason travels with each use of its link (a purpose stated when
    sharing footage of an assembly answers the policy's purpose requirement)."""
    return Reason.parse(share.reason, load_access_policy().policy)


def visible_shares(principal: Principal) -> ColumnElement[bool]:
    """Shares a principal outside the department may list: those made to its agency."""
    if not is_outsider(principal):
        return true()
    if principal.agency_id is None:
        return false()
    return Share.agency_id == principal.agency_id
