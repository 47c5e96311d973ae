"""The one interface every payment gateway implements, and what its calls return.

A gateway starts a payment (a page to send the player to), turns a request from the provider
into a verified event, refunds, pays out and charges a saved method. It never writes our
database: billing.services does, from what the gateway returns or the provider's events say.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from billing.errors import BillingError


class GatewayUnavailable(BillingError):
    """The gateway is switched off (no keys) or cannot do this at all."""

    code = "gateway_unavailable"
    http_status = 503


class GatewayFailed(BillingError):
    """The provider answered with an error, or could not be reached; its message is kept."""

    code = "gateway_error"
    http_status = 502


class BadSignature(BillingError):
    """A request claimed to come from the provider, but its signature or timestamp does not hold."""

    code = "bad_signature"
    http_status = 400


@dataclass(frozen=True)
class Checkout:
    reference: str  # the provider's checkout session id
    redirect_url: str
    expires_at: object = None


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    object: dict
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderResult:
    """The answer to a refund, a payout or a charge: "succeeded", "pending" or "failed"."""

    reference: str
    status: str
    message: str = ""


def minor_units(amount: Decimal, *, precision: int) -> int:
    """An amount in the currency's smallest unit, as providers count it (12.34 EUR -> 1234)."""
    return int((amount * (Decimal(10) ** precision)).to_integral_value())


def from_minor_units(value: int, *, precision: int) -> Decimal:
    return (Decimal(int(value)) / (Decimal(10) ** precision)).quantize(Decimal(1).scaleb(-precision))


class Gateway:
    name: str = ""
    label: str = ""

    def is_enabled(self) -> bool:
        raise NotImplementedError

    def disabled_reason(self) -> str:
        return ""

    def start_payment(self, payment, *, success_url: str, cancel_url: str) -> Checkout:
        raise NotImplementedError

    def parse_event(self, *, body: bytes, headers) -> ProviderEvent:
        """Verify a request from the provider and return its event; BadSignature when it does not hold."""
        raise NotImplementedError

    def refund(self, payment, *, amount: Decimal, reason: str, idempotency_key: str) -> ProviderResult:
        raise NotImplementedError

    def pay_out(self, withdrawal) -> ProviderResult:
        raise NotImplementedError

    def charge_saved_method(self, payment, *, method) -> ProviderResult:
        raise NotImplementedError

    def expire_checkout(self, payment) -> None:
        """Close an unpaid checkout at the provider, so the player can no longer pay it."""
