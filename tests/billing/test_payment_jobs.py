"""The payment jobs, run through the job runner (each run recorded): unpaid checkouts expire,
payouts still processing are asked again, sandbox events not yet delivered are delivered."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from billing import services
from billing.models import Payment, PaymentStatus, SandboxEvent, Withdrawal, WithdrawalStatus
from nodebyte_platform.jobs import run_job
from nodebyte_platform.models import JobRunStatus
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import CoinPackFactory, WithdrawalFactory, coin

pytestmark = pytest.mark.django_db(transaction=True)


def checkout(customer):
    return services.buy_coin_pack(
        customer=customer,
        coin_pack=CoinPackFactory(),
        gateway="sandbox",
        success_url="http://x/",
        cancel_url="http://x/",
    )


def test_an_unpaid_checkout_is_cancelled_after_its_expiry_and_not_before():
    payment = checkout(CustomerFactory())
    run = run_job("billing.expire_checkouts")
    assert run.status == JobRunStatus.SUCCEEDED and run.summary["cancelled"] == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        run = run_job("billing.expire_checkouts")
    assert run.summary["cancelled"] == 1
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.CANCELLED and "expired" in payment.failure_reason


def test_an_expired_checkout_paid_late_stays_cancelled_and_credits_nothing():
    customer = CustomerFactory()
    payment = checkout(customer)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        run_job("billing.expire_checkouts")
    from billing.gateways import ProviderEvent

    obj = {"object": "checkout.session", "client_reference_id": str(payment.public_id), "payment_status": "paid"}
    receipt = services.handle_event(
        gateway="sandbox", event=ProviderEvent(id="evt_late", type="checkout.session.completed", object=obj)
    )
    assert receipt.event.outcome.startswith("refused: invalid_state")
    assert not customer.user.wallets.filter(asset=coin(), balance__gt=0).exists()


def test_a_sandbox_event_not_delivered_is_tried_again_by_the_retry_job(settings):
    settings.SANDBOX_EVENTS_URL = "http://127.0.0.1:9/webhooks/sandbox/"  # nothing listens there
    customer = CustomerFactory()
    payment = checkout(customer)
    services.sandbox_decide(
        payment=payment, customer=customer, outcome="pay", card_number="4242424242424242", events_url=""
    )
    event = SandboxEvent.objects.get(payment=payment)
    assert event.delivered_at is None and event.attempts == 1 and "not reachable" in event.last_error
    run = run_job("billing.retry_payouts")
    assert run.summary["events_delivered"] == 0
    assert SandboxEvent.objects.get(pk=event.pk).attempts == 2
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    # The endpoint is reachable again (here: its code in-process, as for a job's own charges).
    SandboxEvent.objects.filter(pk=event.pk).update(target_url="")
    run = run_job("billing.retry_payouts")
    assert run.summary["events_delivered"] == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.COMPLETED
    assert customer.user.wallets.get(asset=coin()).balance == Decimal("550.00")


def test_a_processing_payout_is_completed_by_the_retry_job():
    withdrawal = WithdrawalFactory(amount=Decimal("12.00"))
    services.start_withdrawal_processing(withdrawal=withdrawal)
    run = run_job("billing.retry_payouts")
    assert run.summary["completed"] == 1
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.COMPLETED
