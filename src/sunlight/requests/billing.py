"""Fees on a request (RSMo 610.026): the staff's estimate (from the published rates in
:mod:`sunlight.requests.fees`), asking for prepayment above the threshold, and recording
the payment. Neither stops the three-business-day clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sunlight.errors import InvalidChange
from sunlight.requests import fees
from sunlight.requests.common import add_event, send_email
from sunlight.requests.models import (
    RecordsRequest,
    RequestEvent,
)
from sunlight.requests.states import (
    OPEN,
    Status,
)


def set_estimate(
    session: Session,
    request: RecordsRequest,
    *,
    search_hours: float,
    review_hours: float,
    recordings: int,
    prepayment: bool,
    actor: str,
    now: datetime,
) -> fees.Estimate:
    if Status(request.status) not in OPEN:
        raise InvalidChange("fees are estimated on an open request")
    estimate = fees.estimate(search_hours, review_hours, recordings)
    if prepayment and estimate.total_cents <= fees.PREPAY_ABOVE_CENTS:
        raise InvalidChange(
            f"prepayment may be asked only above {fees.dollars(fees.PREPAY_ABOVE_CENTS)}"
        )
    request.fee_estimate_cents = estimate.total_cents
    request.fee_details = estimate.to_json()
    request.prepayment_required = prepayment
    request.prepayment_received_at = None
    session.flush()
    text = f"Estimated fee: {fees.dollars(estimate.total_cents)}" + (
        " (waived)" if estimate.waived else ""
    )
    if prepayment:
        text += "; payment is needed before the records are provided."
    add_event(
        session,
        request,
        kind="fee-estimate",
        actor=actor,
        now=now,
        public_text=text,
        details=estimate.to_json() | {"prepayment": prepayment},
    )
    send_email(session, request, subject="Fee estimate", body=text, now=now)
    return estimate


def record_prepayment(
    session: Session, request: RecordsRequest, *, actor: str, now: datetime, note: str | None
) -> RequestEvent:
    if not request.prepayment_required:
        raise InvalidChange("no prepayment was asked for on this request")
    if request.prepayment_received_at is not None:
        raise InvalidChange("the prepayment was already recorded")
    request.prepayment_received_at = now
    session.flush()
    return add_event(
        session,
        request,
        kind="prepayment-received",
        actor=actor,
        now=now,
        public_text="Payment received.",
        staff_text=note,
        details={"cents": request.fee_estimate_cents},
    )
