"""Every check and unique constraint of billing refuses the bad row in the database."""

from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import AutoTopUp, Invoice, Payment, Product, Subscription
from tests.constraint_cases import assert_duplicate_refused, assert_update_refused
from tests.factories.billing import (
    AutoTopUpFactory,
    InvoiceFactory,
    InvoiceItemFactory,
    PaymentFactory,
    ProductFactory,
    SubscriptionFactory,
    WithdrawalFactory,
    eur,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["price", "setup_fee"])
def test_product_negative_price_refused(field):
    assert_update_refused(ProductFactory(), **{field: Decimal("-0.01")})


def test_product_slug_unique():
    product = ProductFactory()
    assert_duplicate_refused(
        lambda: Product.objects.create(name="copy", slug=product.slug, currency=eur(), price=Decimal("1"))
    )


def test_subscription_negative_price_refused():
    assert_update_refused(SubscriptionFactory(), price=Decimal("-1"))


def test_one_subscription_per_server():
    sub = SubscriptionFactory()
    assert_duplicate_refused(
        lambda: Subscription.objects.create(
            server=sub.server,
            product=sub.product,
            price=sub.price,
            billing_cycle=sub.billing_cycle,
            next_due_at=sub.next_due_at,
        )
    )


@pytest.mark.parametrize("field", ["subtotal", "tax", "total"])
def test_invoice_negative_amounts_refused(field):
    invoice = InvoiceFactory()
    bad = {field: Decimal("-1")}
    # keep total = subtotal + tax so only the sign rule is under test
    if field == "subtotal":
        bad["total"] = Decimal("-1") + invoice.tax
    elif field == "tax":
        bad["total"] = invoice.subtotal - 1
    else:
        bad.update(subtotal=Decimal("-1"), tax=Decimal("0"))
    assert_update_refused(invoice, **bad)


def test_invoice_total_must_be_subtotal_plus_tax():
    assert_update_refused(InvoiceFactory(), total=Decimal("999"))


def test_invoice_number_unique():
    invoice = InvoiceFactory()
    other = InvoiceFactory(customer=invoice.customer)
    assert_update_refused(other, number=invoice.number)


def test_invoice_once_per_subscription_period():
    sub = SubscriptionFactory()
    first = InvoiceFactory(customer=sub.server.customer, subscription=sub, period_start=timezone.now().date())
    assert_duplicate_refused(
        lambda: Invoice.objects.create(
            number="INV-DUP",
            customer=first.customer,
            subscription=sub,
            period_start=first.period_start,
            currency=first.currency,
            due_at=first.due_at,
        )
    )


def test_invoice_item_quantity_must_be_positive():
    item = InvoiceItemFactory()
    assert_update_refused(item, quantity=0, amount=Decimal("0"))


def test_invoice_item_negative_price_refused():
    item = InvoiceItemFactory(quantity=1)
    assert_update_refused(item, unit_price=Decimal("-1"), amount=Decimal("-1"))


def test_invoice_item_amount_must_be_price_times_quantity():
    assert_update_refused(InvoiceItemFactory(), amount=Decimal("1234"))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
def test_payment_amount_must_be_positive(amount):
    assert_update_refused(PaymentFactory(), amount=amount)


def test_payment_gateway_reference_unique_per_gateway():
    payment = PaymentFactory()
    other = PaymentFactory()
    assert_update_refused(other, gateway_reference=payment.gateway_reference)


def test_payments_without_gateway_reference_are_not_deduplicated():
    PaymentFactory(gateway_reference="")
    PaymentFactory(gateway_reference="")
    assert Payment.objects.filter(gateway_reference="").count() == 2


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
def test_withdrawal_amount_must_be_positive(amount):
    assert_update_refused(WithdrawalFactory(), amount=amount)


def test_autotopup_negative_threshold_refused():
    assert_update_refused(AutoTopUpFactory(), threshold=Decimal("-1"))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
def test_autotopup_amount_must_be_positive(amount):
    assert_update_refused(AutoTopUpFactory(), amount=amount)


def test_one_autotopup_per_customer():
    setting = AutoTopUpFactory()
    assert_duplicate_refused(lambda: AutoTopUp.objects.create(customer=setting.customer, currency=eur()))
