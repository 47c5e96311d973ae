"""The sandbox gateway: the demo's and the tests' provider, ours from end to end.

Its hosted page (`/pay/sandbox/<id>/`, billing.views) lets the player pay, decline, or type a
card number that fails the way a provider's test cards do. The choice becomes a signed event
(Standard Webhooks signature, in Stripe's event vocabulary) that the sandbox delivers over HTTP
to our own endpoint `/webhooks/sandbox/`, where it goes through the same handling as Stripe's:
the sandbox never completes a payment inline.
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from billing.gateways.base import (
    BadSignature,
    Checkout,
    Gateway,
    GatewayUnavailable,
    ProviderEvent,
    ProviderResult,
    minor_units,
)

# The provider's test cards: any other well-formed number pays.
SUCCESS_CARD = "4242424242424242"
DECLINING_CARDS = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
}
# Sandbox payouts of an amount whose cents are .13 are rejected by the "bank" (a test amount).
FAILING_PAYOUT_CENTS = 13


def sandbox_secret() -> str:
    """The sandbox's signing secret, derived from SECRET_KEY (in Standard Webhooks' whsec_ form)."""
    raw = hmac.new(settings.SECRET_KEY.encode(), b"billing.sandbox-gateway", hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(raw).decode()


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def card_outcome(card_number: str) -> tuple[str, str] | None:
    """None when the card pays; (code, message) when it is declined."""
    number = "".join(card_number.split())
    if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
        return ("incorrect_number", "Your card number is incorrect.")
    return DECLINING_CARDS.get(number)


def new_reference(prefix: str) -> str:
    return f"sbx_{prefix}_{secrets.token_hex(12)}"


def event_body(*, event_id: str, type: str, obj: dict) -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": type,
            "created": int(timezone.now().timestamp()),
            "livemode": False,
            "data": {"object": obj},
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def sign(*, event_id: str, body: str, at: datetime | None = None) -> dict:
    """The Standard Webhooks headers for `body`, signed now (each delivery signs afresh)."""
    at = at or timezone.now()
    signature = Webhook(sandbox_secret()).sign(msg_id=event_id, timestamp=at, data=body)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


class SandboxGateway(Gateway):
    name = "sandbox"
    label = "Sandbox (test cards)"

    def is_enabled(self) -> bool:
        return bool(settings.PAYMENT_SANDBOX_ENABLED)

    def disabled_reason(self) -> str:
        if self.is_enabled():
            return ""
        return "The sandbox gateway is off (PAYMENT_SANDBOX_ENABLED): it takes no real money."

    def start_payment(self, payment, *, success_url: str, cancel_url: str) -> Checkout:
        return Checkout(
            reference=new_reference("cs"),
            redirect_url=reverse("portal:sandbox-checkout", args=[payment.public_id]),
        )

    def parse_event(self, *, body: bytes, headers) -> ProviderEvent:
        if not self.is_enabled():
            raise GatewayUnavailable(self.disabled_reason())
        wanted = ("webhook-id", "webhook-timestamp", "webhook-signature")
        found = {name: headers.get(name, "") for name in wanted}
        try:
            payload = Webhook(sandbox_secret()).verify(body, found)
        except (WebhookVerificationError, ValueError) as exc:
            raise BadSignature(f"The sandbox event's signature does not hold: {exc}.")
        return ProviderEvent(id=payload["id"], type=payload["type"], object=payload["data"]["object"], payload=payload)

    def refund(self, payment, *, amount: Decimal, reason: str, idempotency_key: str) -> ProviderResult:
        return ProviderResult(reference=new_reference("re"), status="succeeded")

    def pay_out(self, withdrawal) -> ProviderResult:
        if not self.is_enabled():
            raise GatewayUnavailable(self.disabled_reason())
        cents = minor_units(withdrawal.amount, precision=2) % 100
        if cents == FAILING_PAYOUT_CENTS:
            return ProviderResult(
                reference=new_reference("po"), status="failed", message="The receiving account rejected the payout."
            )
        return ProviderResult(reference=new_reference("po"), status="succeeded")

    def charge_saved_method(self, payment, *, method) -> ProviderResult:
        """The charge is decided at once by the saved card; its outcome still arrives as an event."""
        return ProviderResult(reference=new_reference("pi"), status="pending")

    def expire_checkout(self, payment) -> None:
        return None


def checkout_expiry(minutes: int) -> datetime:
    return timezone.now() + timedelta(minutes=minutes)
