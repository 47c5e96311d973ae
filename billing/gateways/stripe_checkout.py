"""Stripe, through its official SDK: Checkout Sessions for one-off payments, a customer and
SetupIntent (Checkout in setup mode) for saved cards, off-session PaymentIntents to charge them,
refunds, and webhook events verified by `stripe.Webhook.construct_event` (tolerance 300 s).

Off without STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET: every call then raises
GatewayUnavailable saying so. The SDK retries network failures with backoff
(`max_network_retries`), each call bounded by a timeout; a provider error comes back as
GatewayFailed carrying Stripe's own message.
"""

import json
from datetime import timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.utils import timezone

from billing.gateways.base import (
    BadSignature,
    Checkout,
    Gateway,
    GatewayFailed,
    GatewayUnavailable,
    ProviderEvent,
    ProviderResult,
    minor_units,
)

TIMEOUT_SECONDS = 10
NETWORK_RETRIES = 2
WEBHOOK_TOLERANCE_SECONDS = 300
# Stripe accepts a Checkout Session's expires_at between 30 minutes and 24 hours from now.
MIN_EXPIRY, MAX_EXPIRY = timedelta(minutes=30), timedelta(hours=24)

_http_client = None


def _client_options() -> dict:
    global _http_client
    if _http_client is None:
        _http_client = stripe.HTTPXClient(timeout=TIMEOUT_SECONDS, allow_sync_methods=True)
    stripe.default_http_client = _http_client
    stripe.max_network_retries = NETWORK_RETRIES
    return {"api_key": settings.STRIPE_SECRET_KEY}


def _failed(exc: stripe.StripeError, doing: str) -> GatewayFailed:
    message = getattr(exc, "user_message", None) or str(exc) or exc.__class__.__name__
    return GatewayFailed(f"Stripe refused to {doing}: {message}", details={"provider_code": exc.code or ""})


class StripeGateway(Gateway):
    name = "stripe"
    label = "Card (Stripe)"

    def is_enabled(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def disabled_reason(self) -> str:
        if self.is_enabled():
            return ""
        return "Stripe is off: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to take card payments."

    def _require_enabled(self) -> dict:
        if not self.is_enabled():
            raise GatewayUnavailable(self.disabled_reason())
        return _client_options()

    def start_payment(self, payment, *, success_url: str, cancel_url: str) -> Checkout:
        options = self._require_enabled()
        currency = payment.currency
        expires_at = min(max(payment.expires_at - timezone.now(), MIN_EXPIRY), MAX_EXPIRY) + timezone.now()
        metadata = {"payment": str(payment.public_id)}
        try:
            session = stripe.checkout.Session.create(
                mode="payment",
                client_reference_id=str(payment.public_id),
                line_items=[
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency.code.lower(),
                            "unit_amount": minor_units(payment.amount, precision=currency.precision),
                            "product_data": {"name": payment.description or payment.get_type_display()},
                        },
                    }
                ],
                metadata=metadata,
                payment_intent_data={"metadata": metadata},
                success_url=success_url,
                cancel_url=cancel_url,
                expires_at=int(expires_at.timestamp()),
                idempotency_key=f"checkout:{payment.public_id}",
                **options,
            )
        except stripe.StripeError as exc:
            raise _failed(exc, "open a checkout")
        return Checkout(reference=session.id, redirect_url=session.url, expires_at=expires_at)

    def start_setup(self, *, customer, gateway_customer_id: str, success_url: str, cancel_url: str) -> Checkout:
        """A Checkout Session in setup mode: the player saves a card for auto top-up (a SetupIntent)."""
        options = self._require_enabled()
        try:
            if not gateway_customer_id:
                gateway_customer_id = stripe.Customer.create(
                    email=customer.user.email,
                    metadata={"player_id": str(customer.player_id)},
                    idempotency_key=f"customer:{customer.player_id}",
                    **options,
                ).id
            session = stripe.checkout.Session.create(
                mode="setup",
                customer=gateway_customer_id,
                currency="eur",
                client_reference_id=str(customer.player_id),
                metadata={"player_id": str(customer.player_id)},
                success_url=success_url,
                cancel_url=cancel_url,
                **options,
            )
        except stripe.StripeError as exc:
            raise _failed(exc, "open a card set-up")
        return Checkout(reference=session.id, redirect_url=session.url)

    def saved_card(self, *, setup_intent_id: str) -> dict:
        """What a completed SetupIntent saved: its payment method's id, customer and card."""
        options = self._require_enabled()
        try:
            intent = stripe.SetupIntent.retrieve(setup_intent_id, expand=["payment_method"], **options)
        except stripe.StripeError as exc:
            raise _failed(exc, "read the saved card")
        method = intent.payment_method.to_dict()
        card = method.get("card") or {}
        return {
            "reference": method["id"],
            "gateway_customer_id": intent.customer or "",
            "brand": card.get("brand", ""),
            "last4": card.get("last4", ""),
            "exp_month": card.get("exp_month"),
            "exp_year": card.get("exp_year"),
        }

    def parse_event(self, *, body: bytes, headers) -> ProviderEvent:
        if not self.is_enabled():
            raise GatewayUnavailable(self.disabled_reason())
        try:
            stripe.Webhook.construct_event(
                body, headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRET, WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise BadSignature(f"The Stripe-Signature header does not hold: {exc.user_message or exc}")
        except ValueError as exc:
            raise BadSignature(f"The body is not a Stripe event: {exc}")
        # Verified: read the body as sent, plain JSON (the SDK's objects wrap it).
        payload = json.loads(body)
        return ProviderEvent(id=payload["id"], type=payload["type"], object=payload["data"]["object"], payload=payload)

    def refund(self, payment, *, amount: Decimal, reason: str, idempotency_key: str) -> ProviderResult:
        options = self._require_enabled()
        if not payment.provider_payment_id:
            raise GatewayFailed("The payment has no Stripe PaymentIntent to refund.")
        try:
            refund = stripe.Refund.create(
                payment_intent=payment.provider_payment_id,
                amount=minor_units(amount, precision=payment.currency.precision),
                metadata={"payment": str(payment.public_id), "reason": reason[:450]},
                idempotency_key=idempotency_key,
                **options,
            )
        except stripe.StripeError as exc:
            raise _failed(exc, "refund")
        status = {"succeeded": "succeeded", "pending": "pending"}.get(refund.status, "failed")
        return ProviderResult(reference=refund.id, status=status, message=getattr(refund, "failure_reason", None) or "")

    def pay_out(self, withdrawal) -> ProviderResult:
        raise GatewayUnavailable(
            "Stripe pays out only to connected accounts, which players do not have: withdrawals pay out "
            "through the sandbox gateway in this installation."
        )

    def charge_saved_method(self, payment, *, method) -> ProviderResult:
        options = self._require_enabled()
        try:
            intent = stripe.PaymentIntent.create(
                amount=minor_units(payment.amount, precision=payment.currency.precision),
                currency=payment.currency.code.lower(),
                customer=method.gateway_customer_id,
                payment_method=method.reference,
                off_session=True,
                confirm=True,
                metadata={"payment": str(payment.public_id)},
                idempotency_key=f"charge:{payment.public_id}",
                **options,
            )
        except stripe.CardError as exc:
            intent_id = (exc.error.payment_intent or {}).get("id", "") if exc.error else ""
            return ProviderResult(reference=intent_id, status="failed", message=exc.user_message or str(exc))
        except stripe.StripeError as exc:
            raise _failed(exc, "charge the saved card")
        status = {"succeeded": "succeeded", "processing": "pending"}.get(intent.status, "failed")
        return ProviderResult(reference=intent.id, status=status)

    def expire_checkout(self, payment) -> None:
        options = self._require_enabled()
        try:
            stripe.checkout.Session.expire(payment.gateway_reference, **options)
        except stripe.InvalidRequestError as exc:
            # Already completed or expired at Stripe: its own event tells us which.
            if "status" not in str(exc).lower():
                raise _failed(exc, "expire the checkout")
        except stripe.StripeError as exc:
            raise _failed(exc, "expire the checkout")
