"""Billing services: invoices, payments and withdrawals settle through the ledger, idempotently."""

from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services
from billing.errors import InvalidState, ValidationFailed
from billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
    WithdrawalMethod,
    WithdrawalStatus,
)
from ledger.errors import InsufficientFunds
from ledger.models import Posting, SystemWallet, Transfer, Wallet, amount_sum
from ledger.services import system_wallet, user_wallet
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import InvoiceFactory, PaymentFactory, WithdrawalFactory, eur, fund

pytestmark = pytest.mark.django_db


def balance(customer) -> Decimal:
    return Wallet.objects.get(owner=customer.user, asset=eur()).balance


def payouts() -> Decimal:
    return system_wallet(code=SystemWallet.PAYOUTS, asset=eur()).balance


def gateway_sum() -> Decimal:
    wallet = system_wallet(code=SystemWallet.GATEWAY_SANDBOX, asset=eur())
    return Posting.objects.filter(wallet=wallet).aggregate(s=amount_sum())["s"] or Decimal(0)


# --- invoices -------------------------------------------------------------------------


def test_create_invoice_computes_totals_from_items():
    invoice = services.create_invoice(
        customer=CustomerFactory(),
        currency=eur(),
        items=[
            {"description": "Server", "unit_price": "9.99", "quantity": 2},
            {"description": "Backup slot", "unit_price": "1.00"},
        ],
        tax="4.20",
        due_at=timezone.now(),
    )
    assert invoice.subtotal == Decimal("20.98")
    assert invoice.total == Decimal("25.18")
    assert invoice.items.count() == 2
    assert invoice.status == InvoiceStatus.UNPAID


@pytest.mark.parametrize(
    "items", [[], [{"description": "x", "unit_price": "-1"}], [{"description": "x", "unit_price": "1", "quantity": 0}]]
)
def test_create_invoice_refuses_bad_items(items):
    with pytest.raises(ValidationFailed):
        services.create_invoice(customer=CustomerFactory(), currency=eur(), items=items, due_at=timezone.now())


def test_invoice_overdue_then_cancel_and_no_second_cancel():
    invoice = InvoiceFactory()
    invoice = services.mark_invoice_overdue(invoice=invoice)
    assert invoice.status == InvoiceStatus.OVERDUE
    invoice = services.cancel_invoice(invoice=invoice, reason="duplicate")
    assert invoice.status == InvoiceStatus.CANCELLED
    with pytest.raises(InvalidState) as exc:
        services.cancel_invoice(invoice=invoice)
    assert exc.value.code == "invalid_state"
    with pytest.raises(InvalidState):
        services.mark_invoice_overdue(invoice=invoice)


# --- payments -------------------------------------------------------------------------


def test_completing_a_topup_credits_the_customer_from_the_gateway_once():
    payment = PaymentFactory(amount=Decimal("20.00"))
    before_gateway = gateway_sum()
    done = services.complete_payment(payment=payment)
    again = services.complete_payment(payment=payment)
    assert done.status == PaymentStatus.COMPLETED
    assert again.transfer_id == done.transfer_id
    assert balance(payment.customer) == Decimal("20.00")
    assert gateway_sum() - before_gateway == Decimal("-20.00")
    assert Transfer.objects.filter(idempotency_key=f"payment:{payment.public_id}").count() == 1


def test_invoice_payment_pays_the_invoice_in_the_same_transfer():
    invoice = InvoiceFactory()
    payment = services.create_payment(
        customer=invoice.customer, amount=invoice.total, currency=eur(), invoice=invoice, type=PaymentKind.PAYMENT
    )
    services.complete_payment(payment=payment)
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_at is not None
    assert balance(invoice.customer) == Decimal("0")
    revenue = system_wallet(code=SystemWallet.REVENUE, asset=eur())
    payment = Payment.objects.get(pk=payment.pk)
    assert Posting.objects.get(wallet=revenue, transfer=payment.transfer).amount == invoice.total


def test_refund_moves_money_back_to_the_gateway_and_needs_funds():
    customer = CustomerFactory()
    refund = services.create_payment(customer=customer, amount="5.00", currency=eur(), type=PaymentKind.REFUND)
    with pytest.raises(InsufficientFunds):
        services.complete_payment(payment=refund)
    refund = Payment.objects.get(pk=refund.pk)
    assert refund.status == PaymentStatus.PENDING
    fund(customer, "5.00")
    services.complete_payment(payment=refund)
    assert balance(customer) == Decimal("0")


def test_failed_payment_cannot_complete():
    payment = services.fail_payment(payment=PaymentFactory(), reason="card declined")
    assert payment.status == PaymentStatus.FAILED
    with pytest.raises(InvalidState):
        services.complete_payment(payment=payment)
    assert payment.transfer_id is None


def test_payment_refuses_float_and_unknown_gateway():
    customer = CustomerFactory()
    with pytest.raises(Exception) as exc:
        services.create_payment(customer=customer, amount=1.5, currency=eur())
    assert exc.value.code == "invalid_amount"
    with pytest.raises(ValidationFailed):
        services.create_payment(customer=customer, amount="1.50", currency=eur(), gateway="nowhere")


# --- withdrawals ----------------------------------------------------------------------


def test_request_holds_the_amount_in_payouts():
    customer = CustomerFactory()
    fund(customer, "50.00")
    start_payouts = payouts()
    withdrawal = services.request_withdrawal(
        customer=customer, amount="30.00", currency=eur(), method=WithdrawalMethod.PAYPAL, paypal_email="a@b.example"
    )
    assert balance(customer) == Decimal("20.00")
    assert payouts() - start_payouts == Decimal("30.00")
    assert withdrawal.hold_transfer is not None
    assert withdrawal.status == WithdrawalStatus.PENDING


def test_request_beyond_balance_writes_nothing():
    customer = CustomerFactory()
    fund(customer, "10.00")
    with pytest.raises(InsufficientFunds):
        services.request_withdrawal(
            customer=customer,
            amount="10.01",
            currency=eur(),
            method=WithdrawalMethod.CRYPTO,
            crypto_address="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        )
    assert customer.withdrawals.count() == 0
    assert balance(customer) == Decimal("10.00")


def test_request_needs_payout_details():
    customer = CustomerFactory()
    fund(customer, "10.00")
    with pytest.raises(ValidationFailed):
        services.request_withdrawal(customer=customer, amount="1", currency=eur(), method=WithdrawalMethod.BANK)


def test_fail_releases_the_hold_back_to_the_customer():
    withdrawal = WithdrawalFactory(amount=Decimal("15.00"))
    start_payouts = payouts()
    services.start_withdrawal_processing(withdrawal=withdrawal)
    failed = services.fail_withdrawal(withdrawal=withdrawal, reason="bank rejected")
    assert failed.status == WithdrawalStatus.FAILED
    assert balance(withdrawal.customer) == Decimal("15.00")
    assert start_payouts - payouts() == Decimal("15.00")
    assert failed.release_transfer is not None
    with pytest.raises(InvalidState):
        services.fail_withdrawal(withdrawal=failed, reason="again")
    assert balance(withdrawal.customer) == Decimal("15.00")


def test_cancel_releases_a_pending_hold_only():
    withdrawal = WithdrawalFactory(amount=Decimal("15.00"))
    cancelled = services.cancel_withdrawal(withdrawal=withdrawal)
    assert cancelled.status == WithdrawalStatus.CANCELLED
    assert balance(withdrawal.customer) == Decimal("15.00")
    processing = WithdrawalFactory()
    services.start_withdrawal_processing(withdrawal=processing)
    with pytest.raises(InvalidState):
        services.cancel_withdrawal(withdrawal=processing)


def test_complete_pays_out_from_payouts_to_the_gateway():
    withdrawal = WithdrawalFactory(amount=Decimal("15.00"))
    with pytest.raises(InvalidState):
        services.complete_withdrawal(withdrawal=withdrawal)  # not processing yet
    start_payouts, start_gateway = payouts(), gateway_sum()
    services.start_withdrawal_processing(withdrawal=withdrawal)
    done = services.complete_withdrawal(withdrawal=withdrawal)
    assert done.status == WithdrawalStatus.COMPLETED
    assert done.completed_at is not None and done.processed_at is not None
    assert start_payouts - payouts() == Decimal("15.00")
    assert gateway_sum() - start_gateway == Decimal("15.00")
    assert balance(withdrawal.customer) == Decimal("0")
    with pytest.raises(InvalidState):
        services.fail_withdrawal(withdrawal=done, reason="too late")


def test_withdrawal_payout_details_are_encrypted_at_rest():
    from django.db import connection

    withdrawal = WithdrawalFactory(paypal_email="payee@example.com")
    with connection.cursor() as cursor:
        cursor.execute("SELECT paypal_email FROM billing_withdrawal WHERE id = %s", [withdrawal.pk])
        stored = cursor.fetchone()[0]
    assert "payee@example.com" not in stored
    assert type(withdrawal).objects.get(pk=withdrawal.pk).paypal_email == "payee@example.com"


def test_auto_topup_settings_validated():
    customer = CustomerFactory()
    setting = services.configure_auto_topup(
        customer=customer, currency=eur(), enabled=False, threshold="5", amount="20"
    )
    assert setting.amount == Decimal("20")
    with pytest.raises(Exception) as exc:
        services.configure_auto_topup(customer=customer, currency=eur(), enabled=False, threshold="5", amount="0")
    assert exc.value.code == "invalid_amount"
    assert user_wallet(user=customer.user, asset=eur()).balance == 0
