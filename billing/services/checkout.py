"""Starting a payment at a gateway (coin shop, top-up) and the sandbox's hosted-page choices.

The payment row is written first (pending, with its expiry), then the gateway is asked for its
page outside any transaction (a slow provider holds no lock); if the gateway cannot be reached
the payment fails with the provider's message, so nothing stays pending that nobody can pay.
"""

import json

from constance import config
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.errors import InvalidState, ValidationFailed
from billing.gateways import GatewayFailed, GatewayUnavailable, get_gateway
from billing.gateways import sandbox as sandbox_gateway
from billing.models import CoinPack, Payment, PaymentKind, PaymentStatus, SandboxEvent
from billing.services.payments import create_payment, fail_payment, locked_payment
from ledger.models import Asset, AssetKind
from ledger.services import to_amount

TOPUP_MIN = "5.00"
TOPUP_MAX = "1000.00"


def _open_at_gateway(payment: Payment, *, success_url: str, cancel_url: str) -> Payment:
    gateway = get_gateway(payment.gateway)
    try:
        if not gateway.is_enabled():
            raise GatewayUnavailable(gateway.disabled_reason())
        checkout = gateway.start_payment(payment, success_url=success_url, cancel_url=cancel_url)
    except (GatewayFailed, GatewayUnavailable) as exc:
        fail_payment(payment=payment, reason=exc.message)
        raise
    with transaction.atomic():
        locked = locked_payment(payment)
        locked.gateway_reference = checkout.reference
        locked.checkout_url = checkout.redirect_url
        locked.save(update_fields=["gateway_reference", "checkout_url"])
        return locked


def _expiry():
    return timezone.now() + timezone.timedelta(minutes=max(int(config.CHECKOUT_EXPIRY_MINUTES), 1))


def buy_coin_pack(*, customer, coin_pack: CoinPack, gateway: str, success_url: str, cancel_url: str) -> Payment:
    """A pending payment for `coin_pack`, opened at the gateway; its `checkout_url` is where to pay."""
    if not coin_pack.is_active:
        raise ValidationFailed("This coin pack is no longer on sale.", details={"coin_pack": coin_pack.pk})
    payment = create_payment(
        customer=customer,
        amount=coin_pack.price,
        currency=coin_pack.currency,
        type=PaymentKind.PAYMENT,
        gateway=gateway,
        coin_pack=coin_pack,
        description=f"{coin_pack.name}: {coin_pack.total_coins.normalize():f} GCoins",
        expires_at=_expiry(),
    )
    return _open_at_gateway(payment, success_url=success_url, cancel_url=cancel_url)


def start_topup(*, customer, amount, currency: Asset, gateway: str, success_url: str, cancel_url: str) -> Payment:
    """A pending fiat top-up of the player's wallet, opened at the gateway."""
    if currency.kind != AssetKind.FIAT:
        raise ValidationFailed("Top-ups are in a fiat currency.", details={"currency": currency.code})
    amount = to_amount(amount, asset=currency)
    low, high = to_amount(TOPUP_MIN, asset=currency), to_amount(TOPUP_MAX, asset=currency)
    if not low <= amount <= high:
        raise ValidationFailed(
            f"A top-up is between {low} and {high} {currency.code}.", details={"field": "amount", "min": str(low)}
        )
    payment = create_payment(
        customer=customer,
        amount=amount,
        currency=currency,
        type=PaymentKind.TOPUP,
        gateway=gateway,
        description=f"Wallet top-up {amount} {currency.code}",
        expires_at=_expiry(),
    )
    return _open_at_gateway(payment, success_url=success_url, cancel_url=cancel_url)


# --- the sandbox's hosted page ----------------------------------------------------------


def _sandbox_payment_object(payment: Payment, *, intent_id: str, status: str, error: dict | None = None) -> dict:
    currency = payment.currency
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": sandbox_gateway.minor_units(payment.amount, precision=currency.precision),
        "currency": currency.code.lower(),
        "status": status,
        "metadata": {"payment": str(payment.public_id)},
        "last_payment_error": error,
    }


def _queue_sandbox_event(payment: Payment, *, type: str, obj: dict, events_url: str) -> SandboxEvent:
    event_id = sandbox_gateway.new_reference("evt")
    event = SandboxEvent.objects.create(
        event_id=event_id,
        payment=payment,
        body=sandbox_gateway.event_body(event_id=event_id, type=type, obj=obj),
        target_url=settings.SANDBOX_EVENTS_URL or events_url,
    )
    from billing.tasks import deliver_sandbox_event_task

    transaction.on_commit(lambda: deliver_sandbox_event_task.delay(event.pk))
    return event


def sandbox_decide(*, payment: Payment, customer, outcome: str, card_number: str, events_url: str) -> SandboxEvent:
    """The player's choice on the sandbox's hosted page, as the event the sandbox will deliver:
    "pay" with a paying card -> checkout.session.completed; "pay" with a declining test card or
    "decline" -> payment_intent.payment_failed. Nothing is settled here."""
    sandbox = get_gateway("sandbox")
    if not sandbox.is_enabled():
        raise GatewayUnavailable(sandbox.disabled_reason())
    if outcome not in ("pay", "decline"):
        raise ValidationFailed("Choose to pay or to decline.", details={"field": "outcome"})
    with transaction.atomic():
        locked = locked_payment(payment)
        if locked.customer_id != customer.pk or locked.gateway != "sandbox":
            raise ValidationFailed("This is not your sandbox payment.")
        if locked.status != PaymentStatus.PENDING:
            raise InvalidState(
                f"This payment is {locked.get_status_display().lower()}.", details={"status": locked.status}
            )
        if SandboxEvent.objects.filter(payment=locked).exists():
            raise InvalidState("This payment was already answered; its confirmation is on its way.")
        intent_id = sandbox_gateway.new_reference("pi")
        declined = ("card_declined", "The payer declined the payment.") if outcome == "decline" else None
        declined = declined or sandbox_gateway.card_outcome(card_number)
        if declined:
            code, message = declined
            obj = _sandbox_payment_object(
                locked, intent_id=intent_id, status="requires_payment_method", error={"code": code, "message": message}
            )
            return _queue_sandbox_event(locked, type="payment_intent.payment_failed", obj=obj, events_url=events_url)
        session = {
            "id": locked.gateway_reference,
            "object": "checkout.session",
            "mode": "payment",
            "client_reference_id": str(locked.public_id),
            "payment_intent": intent_id,
            "payment_status": "paid",
            "status": "complete",
            "amount_total": sandbox_gateway.minor_units(locked.amount, precision=locked.currency.precision),
            "currency": locked.currency.code.lower(),
            "metadata": {"payment": str(locked.public_id)},
        }
        return _queue_sandbox_event(locked, type="checkout.session.completed", obj=session, events_url=events_url)


def queue_sandbox_charge_outcome(
    *, payment: Payment, intent_id: str, declined: tuple[str, str] | None, events_url: str
):
    """A saved sandbox card was charged: its outcome arrives as an event, as Stripe's would."""
    if declined:
        code, message = declined
        obj = _sandbox_payment_object(
            payment, intent_id=intent_id, status="requires_payment_method", error={"code": code, "message": message}
        )
        return _queue_sandbox_event(payment, type="payment_intent.payment_failed", obj=obj, events_url=events_url)
    obj = _sandbox_payment_object(payment, intent_id=intent_id, status="succeeded")
    return _queue_sandbox_event(payment, type="payment_intent.succeeded", obj=obj, events_url=events_url)


def signed_sandbox_request(event: SandboxEvent) -> tuple[bytes, dict]:
    """The body and freshly signed headers of a sandbox event (each delivery signs anew)."""
    headers = sandbox_gateway.sign(event_id=event.event_id, body=event.body)
    return event.body.encode(), headers


def mark_sandbox_delivery(*, event: SandboxEvent, error: str = "") -> SandboxEvent:
    with transaction.atomic():
        locked = SandboxEvent.objects.select_for_update().get(pk=event.pk)
        locked.attempts += 1
        locked.last_error = error[:255]
        if not error and locked.delivered_at is None:
            locked.delivered_at = timezone.now()
        locked.save(update_fields=["attempts", "last_error", "delivered_at"])
        return locked


def sandbox_event_payload(event: SandboxEvent) -> dict:
    return json.loads(event.body)
