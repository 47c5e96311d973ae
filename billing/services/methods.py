"""Saved payment methods: the cards auto top-up charges (Stripe SetupIntent, or a sandbox test card)."""

from django.db import transaction

from accounts.models import Customer
from billing.errors import ValidationFailed
from billing.gateways import GatewayUnavailable, get_gateway
from billing.gateways import sandbox as sandbox_gateway
from billing.models import SavedPaymentMethod


def add_sandbox_card(*, customer, card_number: str, exp_month: int, exp_year: int) -> SavedPaymentMethod:
    """Save a sandbox test card: it pays, or declines the way its test number says, when charged."""
    sandbox = get_gateway("sandbox")
    if not sandbox.is_enabled():
        raise GatewayUnavailable(sandbox.disabled_reason())
    number = "".join((card_number or "").split())
    if not (number.isdigit() and 12 <= len(number) <= 19 and sandbox_gateway.luhn_ok(number)):
        raise ValidationFailed("That card number is not valid.", details={"field": "card_number"})
    if not (1 <= int(exp_month) <= 12) or not (2000 <= int(exp_year) <= 2100):
        raise ValidationFailed("Give the card's expiry month and year.", details={"field": "exp_month"})
    with transaction.atomic():
        return SavedPaymentMethod.objects.create(
            customer=customer,
            gateway="sandbox",
            reference=f"{sandbox_gateway.new_reference('pm')}_{number[-4:]}",
            brand="visa" if number.startswith("4") else "card",
            last4=number[-4:],
            exp_month=int(exp_month),
            exp_year=int(exp_year),
            # The declining test cards keep their number's outcome when charged later.
            gateway_customer_id=number if number in sandbox_gateway.DECLINING_CARDS else "",
        )


def start_card_setup(*, customer, success_url: str, cancel_url: str):
    """Stripe: open a Checkout Session in setup mode; the card is saved when its event arrives."""
    gateway = get_gateway("stripe")
    known = customer.payment_methods.filter(gateway="stripe").exclude(gateway_customer_id="").first()
    return gateway.start_setup(
        customer=customer,
        gateway_customer_id=known.gateway_customer_id if known else "",
        success_url=success_url,
        cancel_url=cancel_url,
    )


def save_method_from_setup(*, gateway: str, session: dict) -> str:
    """A completed setup-mode checkout: save the card its SetupIntent attached (once)."""
    customer = Customer.objects.filter(player_id=session.get("client_reference_id") or None).first()
    if customer is None or not session.get("setup_intent"):
        return "ignored: no player or SetupIntent on the setup session"
    card = get_gateway(gateway).saved_card(setup_intent_id=session["setup_intent"])
    method, created = SavedPaymentMethod.objects.get_or_create(
        gateway=gateway,
        reference=card["reference"],
        defaults={"customer": customer, **{k: v for k, v in card.items() if k != "reference"}},
    )
    return f"saved card {method.pk}" if created else "card already saved"


def remove_method(*, customer, method: SavedPaymentMethod) -> SavedPaymentMethod:
    with transaction.atomic():
        locked = SavedPaymentMethod.objects.select_for_update().get(pk=method.pk)
        if locked.customer_id != customer.pk:
            raise ValidationFailed("This is not your card.")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        locked.auto_topups.filter(enabled=True).update(enabled=False, disabled_reason="Its card was removed.")
        return locked
