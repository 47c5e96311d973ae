"""Auto top-up (once per threshold crossing, one in flight, daily cap, switched off after N
failures, low-balance notices) and manual bank transfers (maker-checker above the threshold)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from billing import services
from billing.errors import NotAllowed, SelfApproval
from billing.models import AutoTopUp, Payment, PaymentStatus
from billing.tasks import run_auto_topups
from ledger.models import SystemWallet, TransferKind, Wallet
from ledger.services import Leg, post_transfer, system_wallet, user_wallet
from nodebyte_platform.jobs import run_job
from nodebyte_platform.models import JobRun
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import SavedPaymentMethodFactory, eur, fund


def spend(customer, amount):
    post_transfer(
        kind=TransferKind.SESSION,
        legs=[
            Leg(user_wallet(user=customer.user, asset=eur()), -Decimal(amount)),
            Leg(system_wallet(code=SystemWallet.REVENUE, asset=eur()), Decimal(amount)),
        ],
        initiator="system:test",
    )


def eur_balance(customer) -> Decimal:
    return Wallet.objects.get(owner=customer.user, asset=eur()).balance


def set_up(card="4242424242424242", **extra):
    customer = CustomerFactory()
    fund(customer, "30.00")
    method = SavedPaymentMethodFactory(customer=customer, card_number=card)
    setting = services.configure_auto_topup(
        customer=customer, currency=eur(), enabled=True, threshold="10.00", amount="25.00", saved_method=method, **extra
    )
    return customer, setting


@pytest.mark.django_db
def test_the_portal_saves_a_card_and_switches_auto_top_up_on(client):
    customer = CustomerFactory()
    client.force_login(customer.user)
    client.post(reverse("portal:cards"), {"card_number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030})
    method = customer.payment_methods.get()
    assert method.last4 == "4242"
    response = client.post(
        reverse("portal:auto-top-up"),
        {"enabled": "on", "currency": "EUR", "threshold": "10.00", "amount": "25.00", "saved_method": method.pk},
    )
    assert response.status_code == 302
    setting = AutoTopUp.objects.get(customer=customer)
    assert setting.enabled and setting.saved_method == method


@pytest.mark.django_db
def test_auto_top_up_without_a_card_is_refused(client):
    customer = CustomerFactory()
    client.force_login(customer.user)
    response = client.post(
        reverse("portal:auto-top-up"),
        {"enabled": "on", "currency": "EUR", "threshold": "10", "amount": "25"},
        follow=True,
    )
    assert b"needs a saved card" in response.content
    assert not AutoTopUp.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_crossing_charges_once_and_re_arms_when_the_balance_recovers():
    customer, setting = set_up()
    spend(customer, "25.00")  # 5.00 left, under 10.00
    run_job("billing.run_auto_topups")
    run_job("billing.run_auto_topups")
    assert Payment.objects.filter(customer=customer, saved_method__isnull=False).count() == 1
    # The charge's outcome came back as the sandbox's event: the wallet is refilled.
    assert eur_balance(customer) == Decimal("30.00")
    setting.refresh_from_db()
    assert setting.in_flight is None and setting.failures == 0
    run_job("billing.run_auto_topups")  # back over the threshold: re-armed
    spend(customer, "25.00")
    run_job("billing.run_auto_topups")
    assert Payment.objects.filter(customer=customer, saved_method__isnull=False).count() == 2
    assert JobRun.objects.filter(job="billing.run_auto_topups").count() == 4


@pytest.mark.django_db(transaction=True)
def test_failures_switch_auto_top_up_off_after_n_tries(settings):
    customer, setting = set_up(card="4000000000000002")
    spend(customer, "25.00")
    for _ in range(4):
        run_job("billing.run_auto_topups")
    setting.refresh_from_db()
    assert not setting.enabled and setting.failures == 3
    assert "Switched off after 3 failed charges" in setting.disabled_reason
    assert Payment.objects.filter(customer=customer, status=PaymentStatus.FAILED).count() == 3
    assert eur_balance(customer) == Decimal("5.00")


@pytest.mark.django_db(transaction=True)
def test_the_daily_cap_stops_further_charges(settings):
    from constance import config

    config.AUTO_TOPUP_DAILY_CAP = "30.00"
    customer, _ = set_up()
    spend(customer, "25.00")
    run_job("billing.run_auto_topups")
    spend(customer, "25.00")
    run_job("billing.run_auto_topups")  # under the threshold again, but 50.00 would pass the cap
    assert eur_balance(customer) == Decimal("5.00")
    assert Payment.objects.filter(customer=customer, saved_method__isnull=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_balance_low_is_emitted_once_per_fall():
    from billing import signals
    from nodebyte_platform.models import Reaction

    seen = []
    signals.balance_low.reaction("tests.record_balance_low")(lambda payload: seen.append(payload))
    try:
        customer, _ = set_up(low_balance_threshold="8.00")
        services.configure_auto_topup(
            customer=customer,
            currency=eur(),
            enabled=False,
            threshold="10.00",
            amount="25.00",
            low_balance_threshold="8.00",
        )
        spend(customer, "25.00")
        run_auto_topups.delay(trigger="test")
        run_auto_topups.delay(trigger="test")
        assert Reaction.objects.filter(event="billing.balance_low", reaction="tests.record_balance_low").count() == 1
        assert seen and seen[0]["threshold"] == "8.00" and seen[0]["balance"] == "5.00"
    finally:
        signals.balance_low.reactions.pop("tests.record_balance_low", None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_auto_top_up_raced_by_two_spends_charges_once():
    customer, setting = set_up()
    spend(customer, "25.00")
    barrier = threading.Barrier(2)

    def check():
        try:
            barrier.wait()
            services.check_auto_topup(setting=setting)
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Payment.objects.filter(customer=customer, saved_method__isnull=False).count() == 1


# --- bank transfers ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_small_bank_transfer_posts_when_accounting_records_it(accounting):
    customer = CustomerFactory()
    payment = services.record_bank_payment(
        customer=customer, amount="100.00", currency=eur(), reference="SEPA-1", recorded_by=accounting
    )
    assert payment.status == PaymentStatus.COMPLETED
    assert eur_balance(customer) == Decimal("100.00")


@pytest.mark.django_db
def test_a_large_bank_transfer_waits_for_a_second_accounting_user(accounting, accounting_two, support_user):
    customer = CustomerFactory()
    payment = services.record_bank_payment(
        customer=customer, amount="900.00", currency=eur(), reference="SEPA-2", recorded_by=accounting
    )
    assert payment.status == PaymentStatus.PENDING
    assert not Wallet.objects.filter(owner=customer.user, asset=eur(), balance__gt=0).exists()
    with pytest.raises(SelfApproval):
        services.approve_bank_payment(payment=payment, approved_by=accounting)
    with pytest.raises(NotAllowed):
        services.approve_bank_payment(payment=payment, approved_by=support_user)
    done = services.approve_bank_payment(payment=payment, approved_by=accounting_two)
    assert done.status == PaymentStatus.COMPLETED and done.approved_by == accounting_two
    assert eur_balance(customer) == Decimal("900.00")


@pytest.mark.django_db
def test_support_cannot_record_a_bank_transfer(support_user):
    with pytest.raises(NotAllowed):
        services.record_bank_payment(
            customer=CustomerFactory(), amount="10.00", currency=eur(), reference="X", recorded_by=support_user
        )


@pytest.mark.django_db
def test_a_card_payment_cannot_be_approved_like_a_bank_transfer(accounting):
    from billing.errors import ValidationFailed
    from tests.factories.billing import PaymentFactory

    with pytest.raises(ValidationFailed):
        services.approve_bank_payment(payment=PaymentFactory(), approved_by=accounting)


@pytest.mark.django_db
def test_accounting_records_a_bank_transfer_in_the_admin(client, accounting):
    customer = CustomerFactory()
    client.force_login(accounting)
    response = client.post(
        reverse("admin:billing_banktransfer_add"),
        {"customer": customer.pk, "currency": eur().pk, "amount": "40.00", "reference": "SEPA-ADMIN"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert eur_balance(customer) == Decimal("40.00")
