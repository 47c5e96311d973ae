"""Payment gateways behind one interface (`base.Gateway`): the sandbox (the demo's) and Stripe."""

from django.conf import settings

from billing.errors import ValidationFailed
from billing.gateways.base import (
    BadSignature,
    Checkout,
    Gateway,
    GatewayFailed,
    GatewayUnavailable,
    ProviderEvent,
    ProviderResult,
)
from billing.gateways.sandbox import SandboxGateway
from billing.gateways.stripe_checkout import StripeGateway

GATEWAYS: dict[str, Gateway] = {gateway.name: gateway for gateway in (SandboxGateway(), StripeGateway())}


def get_gateway(name: str) -> Gateway:
    try:
        return GATEWAYS[name]
    except KeyError:
        raise ValidationFailed(f"Unknown payment gateway {name!r}.", details={"gateway": name})


def portal_gateway() -> Gateway:
    """The gateway the portal's coin shop and top-up use (settings.PAYMENT_GATEWAY)."""
    return get_gateway(settings.PAYMENT_GATEWAY)


__all__ = [
    "BadSignature",
    "Checkout",
    "GATEWAYS",
    "Gateway",
    "GatewayFailed",
    "GatewayUnavailable",
    "ProviderEvent",
    "ProviderResult",
    "get_gateway",
    "portal_gateway",
]
