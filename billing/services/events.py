"""The providers' events: verified by their gateway, stored once, then acted on.

One transaction per event: the GatewayEvent row (unique per provider event id) and what the
event does commit together. A duplicate, replayed later or arriving at the same moment, meets
the unique row (the second insert waits for the first transaction, then fails) and changes
nothing. An event about a payment we do not know is stored with that outcome and answered 200,
so the provider stops retrying; an error of ours rolls everything back and answers 500, so the
provider retries.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from billing.errors import BillingError
from billing.gateways import ProviderEvent, get_gateway
from billing.gateways.base import from_minor_units
from billing.models import GatewayEvent, Payment, PaymentStatus
from billing.services import payments as payment_services

logger = logging.getLogger(__name__)

HANDLED_TYPES = (
    "checkout.session.completed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
)


@dataclass(frozen=True)
class EventReceipt:
    event: GatewayEvent
    duplicate: bool


def receive_gateway_request(*, gateway: str, body: bytes, headers) -> EventReceipt:
    """Verify a request from `gateway`'s provider and handle its event once (BadSignature: 400)."""
    event = get_gateway(gateway).parse_event(body=body, headers=headers)
    return handle_event(gateway=gateway, event=event)


def handle_event(*, gateway: str, event: ProviderEvent) -> EventReceipt:
    try:
        with transaction.atomic():
            row = GatewayEvent.objects.create(
                gateway=gateway, event_id=event.id, type=event.type[:64], payload=event.payload
            )
            payment, outcome = _act(gateway=gateway, event=event)
            row.payment = payment
            row.outcome = outcome[:255]
            row.save(update_fields=["payment", "outcome"])
            return EventReceipt(event=row, duplicate=False)
    except IntegrityError:
        existing = GatewayEvent.objects.filter(gateway=gateway, event_id=event.id).first()
        if existing is None:
            raise
        return EventReceipt(event=existing, duplicate=True)


def _payment_by_public_id(gateway: str, value) -> Payment | None:
    if not value:
        return None
    try:
        return Payment.objects.filter(gateway=gateway, public_id=str(value)).first()
    except Exception:  # not a UUID: nobody's payment
        return None


def _payment_of_intent(gateway: str, obj: dict) -> Payment | None:
    intent = obj.get("payment_intent") if obj.get("object") != "payment_intent" else obj.get("id")
    payment = _payment_by_public_id(gateway, (obj.get("metadata") or {}).get("payment"))
    if payment is None and intent:
        payment = Payment.objects.filter(gateway=gateway, provider_payment_id=intent).first()
    return payment


def _act(*, gateway: str, event: ProviderEvent) -> tuple[Payment | None, str]:
    obj = event.object
    if event.type not in HANDLED_TYPES:
        return None, f"ignored: {event.type} is not an event we act on"
    if event.type.startswith("checkout.session."):
        if obj.get("mode") == "setup":
            from billing.services.methods import save_method_from_setup

            return None, save_method_from_setup(gateway=gateway, session=obj)
        payment = _payment_by_public_id(gateway, obj.get("client_reference_id"))
        payment = payment or _payment_by_public_id(gateway, (obj.get("metadata") or {}).get("payment"))
    else:
        payment = _payment_of_intent(gateway, obj)
    if payment is None:
        return None, "ignored: no payment of ours matches"
    try:
        return payment, _act_on_payment(gateway=gateway, event=event, payment=payment)
    except BillingError as exc:
        # A rule of ours refuses what the event asks (e.g. a refund after the coins were spent):
        # kept on the event for staff; the provider is told we have it.
        return payment, f"refused: {exc.code}: {exc.message}"


def _act_on_payment(*, gateway: str, event: ProviderEvent, payment: Payment) -> str:
    obj = event.object
    if event.type == "checkout.session.completed":
        if obj.get("payment_status") not in ("paid", "no_payment_required"):
            return "waiting: the checkout completed but the payment is not confirmed yet"
        done = payment_services.complete_payment(payment=payment, provider_payment_id=obj.get("payment_intent") or "")
        return f"completed ({done.status})"
    if event.type == "payment_intent.succeeded":
        done = payment_services.complete_payment(payment=payment, provider_payment_id=obj.get("id") or "")
        _after_charge(payment, succeeded=True, reason="")
        return f"completed ({done.status})"
    if event.type == "payment_intent.payment_failed":
        error = obj.get("last_payment_error") or {}
        reason = error.get("message") or "The payment failed at the provider."
        if payment.status != PaymentStatus.PENDING:
            return f"ignored: the payment is {payment.status}"
        payment_services.fail_payment(payment=payment, reason=reason, provider_payment_id=obj.get("id") or "")
        _after_charge(payment, succeeded=False, reason=reason)
        return "failed"
    if event.type == "checkout.session.expired":
        if payment.status != PaymentStatus.PENDING:
            return f"ignored: the payment is {payment.status}"
        payment_services.cancel_payment(payment=payment, reason="The checkout expired unpaid.")
        return "cancelled: the checkout expired"
    if event.type == "charge.refunded":
        from billing.services.refunds import record_provider_refund

        refunded = from_minor_units(obj.get("amount_refunded") or 0, precision=payment.currency.precision)
        return record_provider_refund(payment=payment, refunded_total=refunded, provider_reference=obj.get("id", ""))
    if event.type == "charge.dispute.created":
        from billing.services.refunds import open_dispute

        amount = from_minor_units(obj.get("amount") or 0, precision=payment.currency.precision)
        dispute = open_dispute(
            payment=payment, gateway=gateway, provider_dispute_id=obj["id"], amount=amount, reason=obj.get("reason", "")
        )
        return f"dispute {dispute.status}"
    return "ignored"


def _after_charge(payment: Payment, *, succeeded: bool, reason: str) -> None:
    """A saved-method charge of auto top-up ended: let its setting count it."""
    if payment.saved_method_id is None:
        return
    from billing.services.autotopup import record_charge_outcome

    record_charge_outcome(payment=payment, succeeded=succeeded, reason=reason)
