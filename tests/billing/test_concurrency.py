"""Billing under real concurrency (PostgreSQL, threads): no double settlement, no overdraft."""

from decimal import Decimal

import pytest

from billing import services
from billing.models import PaymentStatus, WithdrawalMethod
from ledger.errors import InsufficientFunds
from ledger.models import Transfer, Wallet
from tests.concurrency import run_at_once
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import PaymentFactory, eur, fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_completions_of_one_payment_settle_once():
    payment = PaymentFactory(amount=Decimal("30.00"))
    results = run_at_once(lambda: services.complete_payment(payment=payment), 2)
    assert all(not isinstance(r, Exception) for r in results), results
    assert {r.status for r in results} == {PaymentStatus.COMPLETED}
    assert Transfer.objects.filter(idempotency_key=f"payment:{payment.public_id}").count() == 1
    assert Wallet.objects.get(owner=payment.customer.user, asset=eur()).balance == Decimal("30.00")


def test_concurrent_withdrawals_never_overdraw():
    customer = CustomerFactory()
    fund(customer, "50.00")

    def withdraw():
        return services.request_withdrawal(
            customer=customer,
            amount="30.00",
            currency=eur(),
            method=WithdrawalMethod.CRYPTO,
            crypto_address="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        )

    results = run_at_once(withdraw, 3)
    succeeded = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(succeeded) == 1 and len(refused) == 2, results
    assert customer.withdrawals.count() == 1
    assert Wallet.objects.get(owner=customer.user, asset=eur()).balance == Decimal("20.00")
