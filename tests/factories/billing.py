"""Factories for every billing model. Invoices, payments, withdrawals and auto top-ups are made
through billing.services, so totals, wallets and ledger holds are as real use leaves them."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from billing import models as m
from billing import services
from ledger.models import Asset, SystemWallet, TransferKind
from ledger.services import issue

CUSTOMER = "tests.factories.accounts.CustomerFactory"
SERVER = "tests.factories.games.ServerFactory"


def eur() -> Asset:
    """The EUR asset (created by ledger migration 0002)."""
    return Asset.objects.get(code="EUR")


def fund(customer, amount, asset=None) -> None:
    """Put `amount` on the customer's wallet the way money arrives: from the sandbox gateway."""
    issue(
        user=customer.user,
        asset=asset or eur(),
        amount=Decimal(str(amount)),
        kind=TransferKind.TOPUP,
        source=SystemWallet.GATEWAY_SANDBOX,
        initiator="system:factory",
    )


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Product

    name = factory.Sequence(lambda n: f"Minecraft {n} GB")
    slug = factory.Sequence(lambda n: f"minecraft-{n}")
    description = "A game server"
    product_type = m.ProductType.GAME_SERVER
    currency = factory.LazyFunction(eur)
    price = Decimal("9.99")
    billing_cycle = m.BillingCycle.MONTHLY


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Subscription

    server = factory.SubFactory(SERVER)
    product = factory.SubFactory(ProductFactory)
    price = factory.LazyAttribute(lambda o: o.product.price)
    billing_cycle = factory.LazyAttribute(lambda o: o.product.billing_cycle)
    next_due_at = factory.LazyFunction(lambda: timezone.now().date() + timedelta(days=30))


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An unpaid invoice with one item, built by billing.services.create_invoice."""

    class Meta:
        model = m.Invoice

    customer = factory.SubFactory(CUSTOMER)
    currency = factory.LazyFunction(eur)
    items = factory.LazyFunction(lambda: [{"description": "Game server, monthly", "unit_price": Decimal("9.99")}])
    tax = Decimal("0.00")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_invoice(**kwargs)


class InvoiceItemFactory(factory.django.DjangoModelFactory):
    """An extra line on an invoice (the invoice's own totals are not recomputed)."""

    class Meta:
        model = m.InvoiceItem

    invoice = factory.SubFactory(InvoiceFactory)
    description = factory.Sequence(lambda n: f"Add-on {n}")
    quantity = 2
    unit_price = Decimal("1.50")
    amount = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)


class PaymentFactory(factory.django.DjangoModelFactory):
    """A pending top-up through the sandbox gateway (billing.services.create_payment)."""

    class Meta:
        model = m.Payment

    customer = factory.SubFactory(CUSTOMER)
    amount = Decimal("20.00")
    currency = factory.LazyFunction(eur)
    type = m.PaymentKind.TOPUP
    payment_method = m.PaymentMethod.CARD
    gateway_reference = factory.Sequence(lambda n: f"sbx_{n:08d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_payment(**kwargs)


class WithdrawalFactory(factory.django.DjangoModelFactory):
    """A pending PayPal withdrawal; the customer is funded first so the hold can be posted."""

    class Meta:
        model = m.Withdrawal

    customer = factory.SubFactory(CUSTOMER)
    amount = Decimal("15.00")
    currency = factory.LazyFunction(eur)
    method = m.WithdrawalMethod.PAYPAL
    paypal_email = factory.LazyAttribute(lambda o: o.customer.user.email)

    @classmethod
    def _create(cls, model_class, *args, fund_first=True, **kwargs):
        if fund_first:
            fund(kwargs["customer"], kwargs["amount"], kwargs["currency"])
        return services.request_withdrawal(**kwargs)


class BankTransferFactory(factory.django.DjangoModelFactory):
    """A bank transfer recorded by an accounting user (under the approval threshold: posted)."""

    class Meta:
        model = m.BankTransfer

    customer = factory.SubFactory(CUSTOMER)
    amount = Decimal("50.00")
    currency = factory.LazyFunction(eur)
    reference = factory.Sequence(lambda n: f"BANK-{n:06d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from accounts.models import StaffRole
        from accounts.services import create_staff

        suffix = kwargs["reference"].lower()
        recorder = create_staff(
            username=f"acc-{suffix}", email=f"acc-{suffix}@nodebyte.example", role=StaffRole.ACCOUNTING
        )
        payment = services.record_bank_payment(recorded_by=recorder.user, **kwargs)
        return model_class.objects.get(pk=payment.pk)


def coin() -> Asset:
    return Asset.objects.get(code="COIN")


class CoinPackFactory(factory.django.DjangoModelFactory):
    """A coin pack on sale (billing.services.create_coin_pack)."""

    class Meta:
        model = m.CoinPack

    name = factory.Sequence(lambda n: f"Pack {n}")
    currency = factory.LazyFunction(eur)
    price = Decimal("4.99")
    coins = Decimal("500.00")
    bonus_coins = Decimal("50.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.create_coin_pack(**kwargs)


class GatewayEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.GatewayEvent

    gateway = "sandbox"
    event_id = factory.Sequence(lambda n: f"evt_factory_{n:06d}")
    type = "payment_intent.created"
    payload = factory.LazyAttribute(lambda o: {"id": o.event_id, "type": o.type})
    outcome = "ignored: payment_intent.created is not an event we act on"


class SandboxEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SandboxEvent

    event_id = factory.Sequence(lambda n: f"sbx_evt_factory_{n:06d}")
    payment = factory.SubFactory(PaymentFactory)
    body = factory.LazyAttribute(lambda o: f'{{"id": "{o.event_id}", "type": "payment_intent.created"}}')
    target_url = ""


class SavedPaymentMethodFactory(factory.django.DjangoModelFactory):
    """A saved sandbox test card that pays (billing.services.add_sandbox_card)."""

    class Meta:
        model = m.SavedPaymentMethod

    customer = factory.SubFactory(CUSTOMER)
    card_number = "4242424242424242"
    exp_month = 12
    exp_year = 2030

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.add_sandbox_card(**kwargs)


class DisputeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Dispute

    payment = factory.SubFactory(PaymentFactory)
    gateway = "sandbox"
    provider_dispute_id = factory.Sequence(lambda n: f"dp_factory_{n:06d}")
    amount = Decimal("5.00")
    reason = "fraudulent"
    status = m.DisputeStatus.NEEDS_REVIEW


class WithdrawalStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.WithdrawalStep

    withdrawal = factory.SubFactory(WithdrawalFactory)
    step = "note"
    note = "Checked by phone"


class AutoTopUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.AutoTopUp

    customer = factory.SubFactory(CUSTOMER)
    currency = factory.LazyFunction(eur)
    enabled = True
    threshold = Decimal("10.00")
    amount = Decimal("25.00")
    payment_method_id = factory.Sequence(lambda n: f"pm_{n:06d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.configure_auto_topup(**kwargs)


__all__ = [
    "AutoTopUpFactory",
    "BankTransferFactory",
    "CoinPackFactory",
    "DisputeFactory",
    "GatewayEventFactory",
    "SandboxEventFactory",
    "SavedPaymentMethodFactory",
    "WithdrawalStepFactory",
    "coin",
    "InvoiceFactory",
    "InvoiceItemFactory",
    "PaymentFactory",
    "ProductFactory",
    "SubscriptionFactory",
    "WithdrawalFactory",
    "eur",
    "fund",
]
