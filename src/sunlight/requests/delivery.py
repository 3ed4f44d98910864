"""Delivering copies: verifying a depicted person (RSMo 610.100.3), the copies released to
the public for the incidents a request names, delivery through an expiring share link,
the requester's download and the 10 days' notice acknowledgement."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal, decide
from sunlight.access.models import Share
from sunlight.errors import Forbidden, InvalidChange, InvalidInput, NotFound
from sunlight.evidence import shares
from sunlight.evidence.custody import Outcome
from sunlight.evidence.models import Recording
from sunlight.incidents.models import Incident, IncidentRecording
from sunlight.release import service as release
from sunlight.requests.common import (
    DELIVERY_DAYS,
    DEPICTED_GROUP,
    DOCUMENT_TYPES,
    NOTICE_TEXT,
    RELATIONS,
    add_event,
    send_email,
)
from sunlight.requests.models import (
    RecordsRequest,
    RequestDelivery,
    RequestVerification,
)
from sunlight.requests.states import (
    OPEN,
    Status,
)


def verify(
    session: Session,
    request: RecordsRequest,
    *,
    actor: str,
    document_type: str,
    relation: str,
    depicted_person: str,
    notes: str | None,
    now: datetime,
) -> RequestVerification:
    """Record that staff verified the requester's identity and relationship to the person
    depicted or heard: the condition for a complete, unaltered copy (RSMo 610.100.3)."""
    if request.requester_type not in DEPICTED_GROUP:
        raise InvalidChange(
            f"a {request.requester_type} requester is not among those RSMo 610.100.3 lets "
            "obtain a complete copy (a person depicted or heard, or their guardian, "
            "relative, attorney or insurer)"
        )
    if document_type not in DOCUMENT_TYPES:
        raise InvalidInput(f"document_type must be one of {', '.join(DOCUMENT_TYPES)}")
    if relation not in RELATIONS:
        raise InvalidInput(f"relation must be one of {', '.join(RELATIONS)}")
    person = " ".join(depicted_person.split())
    if not person or len(person) > 200:
        raise InvalidInput("name the person depicted or heard (at most 200 characters)")
    if notes is not None and len(notes) > 2000:
        raise InvalidInput("notes are limited to 2000 characters")
    verification = RequestVerification(
        request_id=request.id,
        verified_by=actor,
        verified_at=now,
        document_type=document_type,
        relation=relation,
        depicted_person=person,
        notes=(notes or "").strip() or None,
    )
    session.add(verification)
    session.flush()
    session.refresh(request, ["verifications"])
    add_event(
        session,
        request,
        kind="verified",
        actor=actor,
        now=now,
        public_text="Your identity and your relationship to the person depicted were verified.",
        details={
            "verification_id": verification.id,
            "document_type": document_type,
            "relation": relation,
        },
    )
    return verification


Basis = Literal["610.100.3", "open-record", "released"]
BASES: tuple[str, ...] = ("610.100.3", "open-record", "released")


def linked_incidents(request: RecordsRequest) -> list[int]:
    """The incidents the request's (not removed) items name, in the order linked."""
    seen: list[int] = []
    for item in request.items:
        if item.removed_at is None and item.incident_id is not None:
            seen.append(item.incident_id)
    return list(dict.fromkeys(seen))


def released_for(session: Session, request: RecordsRequest) -> list[release.ReleasedCopy]:
    """Copies released to the public (published, not merely scheduled) of the incidents
    the request names: what basis ``released`` may deliver."""
    found: list[release.ReleasedCopy] = []
    for incident_id in linked_incidents(request):
        found.extend(release.released_copies(session, incident_id))
    return found


def deliver(
    session: Session,
    request: RecordsRequest,
    *,
    recording_id: int,
    basis: Basis,
    actor: Principal,
    now: datetime,
    days: int | None = None,
    base_url: str = "",
) -> tuple[RequestDelivery, str]:
    """Give the requester a copy of one recording, through an expiring share link;
    returns the delivery and the link token (shown once, and emailed to the requester).

    ``610.100.3``: the ORIGINAL of a recording the request names, for a verified depicted
    person; the 10 days' notice duty is recorded with the delivery and shown to them.
    ``open-record``: the original of a recording the request names, unless it was marked
    as made in a nonpublic location. ``released``: a redacted copy released to the public
    under a release case of an incident the request names (never an unreleased or
    unreviewed copy, nor an original)."""
    status = Status(request.status)
    if status not in OPEN:
        raise InvalidChange(f"a {status.value} request receives no deliveries; reopen it first")
    verification: RequestVerification | None = None
    notice: str | None = None
    release_id: int | None = None
    if basis == "released":
        copies = released_for(session, request)
        chosen = [c for c in copies if c.derived_recording_id == recording_id]
        if not chosen:
            raise InvalidChange(
                f"recording {recording_id} is not a released copy of an incident linked to "
                "this request: only a redacted copy released under the incident's release "
                "case (reviewed and decided by the release authority) may be sent this way"
            )
        release_id = chosen[0].release_id
    else:
        named = [
            i for i in request.items if i.removed_at is None and i.recording_id == recording_id
        ]
        if not named:
            raise InvalidChange(
                f"recording {recording_id} is not linked to this request: link it first"
            )
        if basis == "610.100.3":
            if request.requester_type not in DEPICTED_GROUP:
                raise Forbidden(
                    "a complete, unaltered copy under RSMo 610.100.3 is only for a person "
                    "depicted or heard, or their guardian, relative, attorney or insurer"
                )
            if not request.verifications:
                raise Forbidden(
                    "verify the requester's identity and relationship first (RSMo 610.100.3)"
                )
            verification = request.verifications[-1]
            notice = NOTICE_TEXT
        elif basis == "open-record":
            if any(i.nonpublic_location for i in named):
                raise Forbidden(
                    "this recording was marked as made in a nonpublic location: it may stay "
                    "closed (RSMo 610.100.2(3)); only a verified depicted person's copy "
                    "(basis 610.100.3) or a released copy may be given"
                )
            _check_open_record(session, recording_id, actor, now)
        else:
            raise InvalidInput("basis must be 610.100.3, open-record or released")
    share, raw = shares.create_share(
        session,
        recording_id=recording_id,
        recipient=f"requester of {request.tracking_number}",
        recipient_kind="requester",
        reason=f"records-request: {request.tracking_number} ({basis})",
        actor=actor,
        link=True,
        can_download=True,
        expires_days=days or DELIVERY_DAYS,
        now=now,
    )
    assert raw is not None
    delivery = RequestDelivery(
        request_id=request.id,
        recording_id=recording_id,
        share_id=share.id,
        basis=basis,
        verification_id=verification.id if verification else None,
        notice_text=notice,
        delivered_by=actor.id,
        delivered_at=now,
        expires_at=share.expires_at,
    )
    session.add(delivery)
    session.flush()
    session.refresh(request, ["deliveries"])
    what = "The released (redacted) copy" if release_id is not None else "A copy"
    public = (
        f"{what} of recording {recording_id} is ready to download until "
        f"{share.expires_at.date().isoformat()}."
    )
    if notice:
        public += " " + notice
    add_event(
        session,
        request,
        kind="delivered",
        actor=actor.id,
        now=now,
        public_text=public,
        details={
            "delivery_id": delivery.id,
            "recording_id": recording_id,
            "share_id": share.id,
            "basis": basis,
            "verification_id": delivery.verification_id,
            "notice": notice is not None,
            "release_id": release_id,
        },
    )
    send_email(
        session,
        request,
        subject="Your records are ready",
        body=f"{public}\nDownload: {base_url}/s/{raw}\nThe link is yours alone; keep it private.",
        now=now,
    )
    return delivery, raw


def _check_open_record(
    session: Session, recording_id: int, actor: Principal, now: datetime
) -> None:
    """An original handed to any requester as an open record is a release of it: refused
    while an incident it belongs to is under active investigation (closed, RSMo
    610.100.2(1)), when the release policy excludes it by default (its flags), and unless
    the actor holds release authority over each such incident (``release:decide``: the
    Missouri Highway Patrol for the shootings it investigates, not the department)."""
    excluded = release.exclusions(session, recording_id)
    if excluded:
        raise Forbidden(
            "the release policy keeps this original from the public: "
            + "; ".join(excluded)
            + "; only a verified depicted person's copy (basis 610.100.3) or a released "
            "copy may be given"
        )
    incidents = session.scalars(
        select(Incident)
        .join(IncidentRecording, IncidentRecording.incident_id == Incident.id)
        .where(IncidentRecording.recording_id == recording_id)
        .order_by(Incident.id)
    ).all()
    for incident in incidents:
        if incident.investigation_status == "active":
            raise Forbidden(
                f"incident {incident.id} is under active investigation: its recordings are "
                "closed records (RSMo 610.100.2(1)); only a verified depicted person's copy "
                "(basis 610.100.3) or a court-ordered release may be given"
            )
        decision = decide(session, actor, Permission.RELEASE_DECIDE, incident.id, now=now)
        if not decision.allowed:
            raise Forbidden(
                f"only the release authority over incident {incident.id} may give its "
                f"original to the public as an open record ({decision.reason}); send a "
                "released copy instead (basis released)",
                diagnostics={"rule": decision.rule, "permission": str(Permission.RELEASE_DECIDE)},
            )


def open_delivery(
    session: Session, request: RecordsRequest, delivery_id: int, *, now: datetime
) -> Recording:
    """The requester downloads a delivery from the private page: the share's use (or the
    refused attempt) is a custody event on the recording. NotFound unless usable."""
    delivery = session.get(RequestDelivery, delivery_id)
    if delivery is None or delivery.request_id != request.id:
        raise NotFound("no such delivery")
    share = session.get(Share, delivery.share_id)
    if share is None:
        raise NotFound("no such delivery")
    state = shares.state_of(share, now)
    if state != "active":
        shares.record_use(
            session,
            share,
            "download",
            outcome=Outcome.DENIED,
            why=f"the link is {state}",
            dedup=True,
            now=now,
        )
        raise NotFound(f"this delivery has {'expired' if state == 'expired' else 'been revoked'}")
    decision = decide(
        session,
        shares.link_principal(share),
        Permission.RECORDING_DOWNLOAD,
        share.recording_id,
        now=now,
        reason=shares.share_reason(share),
    )
    if not decision.allowed:
        shares.record_use(
            session,
            share,
            "download",
            outcome=Outcome.DENIED,
            why=decision.reason,
            rule=decision.rule,
            dedup=True,
            now=now,
        )
        raise NotFound("this delivery cannot be opened")
    shares.record_use(session, share, "download", rule=decision.rule, now=now)
    recording = session.get(Recording, share.recording_id)
    if recording is None or recording.deleted_at is not None:
        raise NotFound("the recording is no longer held")
    return recording


def acknowledge_notice(
    session: Session, request: RecordsRequest, delivery_id: int, *, now: datetime
) -> RequestDelivery:
    delivery = session.get(RequestDelivery, delivery_id)
    if delivery is None or delivery.request_id != request.id or delivery.notice_text is None:
        raise NotFound("no such delivery with a notice")
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at = now
        session.flush()
        add_event(
            session,
            request,
            kind="notice-acknowledged",
            actor="requester",
            now=now,
            public_text="You acknowledged the duty to give 10 days' notice before display.",
            details={"delivery_id": delivery.id},
        )
    return delivery
