"""Fees on a request (RSMo 610.026): the staff's estimate (from the published fees file,
:mod:`sunlight.requests.fees`, whose SHA-256 the estimate and its custody event record),
asking for prepayment above the threshold, and recording the payment. Neither stops the
three-business-day clock."""

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
    fees_file: fees.LoadedFees | None = None,
) -> fees.Estimate:
    """Estimate the fee at the rates of ``fees_file`` (default: the fees file in force)."""
    if Status(request.status) not in OPEN:
        raise InvalidChange("fees are estimated on an open request")
    loaded = fees_file if fees_file is not None else fees.load_fees()
    estimate = fees.estimate(search_hours, review_hours, recordings, fees=loaded)
    threshold = loaded.policy.prepay_above_cents
    if prepayment and estimate.total_cents <= threshold:
        raise InvalidChange(f"prepayment may be asked only above {fees.dollars(threshold)}")
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
        custody={"fees_policy_sha256": estimate.policy_sha256},
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
