"""Withdrawals from the portal to the payout: validated details, limits, holds, the review queue's
maker-checker approvals in the admin, and the sandbox payout that completes or fails them."""

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.errors import LimitExceeded, NotAllowed, SelfApproval, ValidationFailed
from billing.models import Withdrawal, WithdrawalMethod, WithdrawalStatus
from billing.services.withdrawals import iban_is_valid, withdrawal_limits
from ledger.models import SystemWallet, Wallet
from ledger.services import system_wallet
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import eur, fund

pytestmark = pytest.mark.django_db

GOOD_IBAN = "DE89 3704 0044 0532 0130 00"


def eur_balance(customer) -> Decimal:
    return Wallet.objects.get(owner=customer.user, asset=eur()).balance


@pytest.fixture
def funded_player(client):
    """A standard-VIP player with 1000 EUR deposited two days ago (so no review flag)."""
    customer = CustomerFactory(vip="standard")
    with time_machine.travel(timezone.now() - timezone.timedelta(days=2)):
        fund(customer, "1000.00")
    client.force_login(customer.user)
    return customer


def request(customer, amount="50.00", **details):
    details = details or {"method": WithdrawalMethod.BANK, "bank_details": {"iban": GOOD_IBAN, "account_holder": "Pat"}}
    return services.request_withdrawal(customer=customer, amount=amount, currency=eur(), **details)


@pytest.mark.parametrize(
    ("iban", "valid"),
    [(GOOD_IBAN, True), ("GB82WEST12345698765432", True), ("DE89370400440532013001", False), ("DE8937040044", False)],
)
def test_iban_checksum(iban, valid):
    assert iban_is_valid(iban) is valid


@pytest.mark.parametrize(
    "details",
    [
        {"method": "bank", "bank_details": {"iban": "DE00 0000 0000 0000 0000 00", "account_holder": "Pat"}},
        {"method": "bank", "bank_details": {"iban": GOOD_IBAN, "account_holder": ""}},
        {"method": "paypal", "paypal_email": "not-an-email"},
        {"method": "crypto", "crypto_address": "bc1q"},
        {"method": "crypto", "crypto_address": "0x1234"},
        {"method": "carrier-pigeon"},
    ],
)
def test_bad_payout_details_are_refused_and_hold_nothing(funded_player, details):
    with pytest.raises(ValidationFailed):
        request(funded_player, **details)
    assert eur_balance(funded_player) == Decimal("1000.00")
    assert not Withdrawal.objects.exists()


def test_the_portal_request_holds_the_amount_and_shows_its_steps(client, funded_player):
    response = client.post(
        reverse("portal:withdrawals"),
        {"currency": "EUR", "amount": "40.00", "method": "paypal", "paypal_email": "pat@example.com"},
    )
    withdrawal = Withdrawal.objects.get(customer=funded_player)
    assert response.status_code == 302
    assert eur_balance(funded_player) == Decimal("960.00")
    assert Wallet.objects.get(pk=system_wallet(code=SystemWallet.PAYOUTS, asset=eur()).pk).balance == Decimal("40.00")
    page = client.get(reverse("portal:withdrawal", args=[withdrawal.public_id]))
    assert b"Requested" in page.content and b"waiting for approval" in page.content


def test_a_refused_portal_request_shows_why(client, funded_player):
    response = client.post(
        reverse("portal:withdrawals"),
        {"currency": "EUR", "amount": "40.00", "method": "bank", "iban": "DE00123", "account_holder": "Pat"},
        follow=True,
    )
    assert response.status_code == 200 and b"IBAN is not valid" in response.content
    assert not Withdrawal.objects.exists()


def test_a_withdrawal_over_the_daily_limit_is_refused(funded_player, settings):
    limits = withdrawal_limits(funded_player)
    assert limits["day"] == Decimal("500.00")
    request(funded_player, amount="450.00")
    with pytest.raises(LimitExceeded) as refused:
        request(funded_player, amount="60.00")
    assert refused.value.details["window"] == "day"
    assert eur_balance(funded_player) == Decimal("550.00")


def test_the_limits_are_stricter_without_a_vip_level_and_looser_for_gold():
    assert withdrawal_limits(CustomerFactory(vip=None))["day"] == Decimal("250.00")
    assert withdrawal_limits(CustomerFactory(vip="gold"))["week"] == Decimal("4000.00")


def test_the_day_limit_frees_up_the_next_day(funded_player):
    request(funded_player, amount="450.00")
    with time_machine.travel(timezone.now() + timezone.timedelta(days=1, minutes=1)):
        assert request(funded_player, amount="60.00").status == WithdrawalStatus.PENDING


def test_a_withdrawal_soon_after_a_deposit_is_flagged_for_two_approvers():
    customer = CustomerFactory(vip="standard")
    fund(customer, "100.00")
    withdrawal = request(customer, amount="20.00")
    assert withdrawal.flag_reason.startswith("Requested within 24 hours of a deposit")
    assert withdrawal.requires_second_approval


def test_below_the_threshold_one_approval_pays_out_through_the_sandbox(funded_player, accounting, committed):
    withdrawal = request(funded_player, amount="50.00")
    assert not withdrawal.requires_second_approval
    with committed(execute=True):
        done = services.approve_withdrawal(withdrawal=withdrawal, by=accounting)
    assert done.status == WithdrawalStatus.PROCESSING
    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    assert withdrawal.status == WithdrawalStatus.COMPLETED and withdrawal.gateway_reference.startswith("sbx_po_")
    assert Wallet.objects.get(pk=system_wallet(code=SystemWallet.PAYOUTS, asset=eur()).pk).balance == 0
    assert [s.step for s in withdrawal.steps.all()] == ["requested", "approved", "sent to payout", "paid out"]


def test_above_the_threshold_a_second_different_accounting_user_must_approve(
    funded_player, accounting, accounting_two, committed
):
    withdrawal = request(funded_player, amount="300.00")
    assert withdrawal.requires_second_approval
    services.approve_withdrawal(withdrawal=withdrawal, by=accounting)
    with pytest.raises(SelfApproval):
        services.approve_withdrawal(withdrawal=withdrawal, by=accounting)
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.PENDING
    with committed(execute=True):
        services.approve_withdrawal(withdrawal=withdrawal, by=accounting_two)
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.COMPLETED


def test_approval_by_the_requester_is_refused(accounting):
    from accounts.services import register_customer

    # An accounting user who is also a player asks for a withdrawal of their own.
    customer = register_customer(user=accounting)
    with time_machine.travel(timezone.now() - timezone.timedelta(days=2)):
        fund(customer, "100.00")
    withdrawal = request(customer, amount="20.00")
    with pytest.raises(SelfApproval):
        services.approve_withdrawal(withdrawal=withdrawal, by=accounting)


def test_support_staff_cannot_approve(funded_player, support_user):
    with pytest.raises(NotAllowed):
        services.approve_withdrawal(withdrawal=request(funded_player), by=support_user)


def test_a_failed_sandbox_payout_releases_the_hold(funded_player, accounting, committed):
    withdrawal = request(funded_player, amount="30.13")
    with committed(execute=True):
        services.approve_withdrawal(withdrawal=withdrawal, by=accounting)
    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    assert withdrawal.status == WithdrawalStatus.FAILED
    assert withdrawal.failure_reason == "The receiving account rejected the payout."
    assert eur_balance(funded_player) == Decimal("1000.00")


def test_the_admin_review_queue_approves_as_accounting(client, funded_player, accounting, committed):
    withdrawal = request(funded_player, amount="50.00")
    client.force_login(accounting)
    queue = client.get(reverse("admin:billing_withdrawal_changelist"), {"queue": "approval"})
    assert queue.status_code == 200 and str(withdrawal.public_id) in queue.content.decode()
    url = reverse("admin:billing_withdrawal_changelist")
    confirm = client.post(url, {"action": "approve_withdrawals", "_selected_action": [withdrawal.pk]})
    assert b"To be approved: 50.00 EUR" in confirm.content
    with committed(execute=True):
        client.post(url, {"action": "approve_withdrawals", "_selected_action": [withdrawal.pk], "confirm": "yes"})
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.COMPLETED


def test_the_player_cancels_a_pending_withdrawal_from_the_portal(client, funded_player):
    withdrawal = request(funded_player, amount="50.00")
    client.post(reverse("portal:withdrawal", args=[withdrawal.public_id]), {"action": "cancel"})
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.CANCELLED
    assert eur_balance(funded_player) == Decimal("1000.00")


def test_support_staff_get_no_approve_or_refund_action_in_the_admin(client, funded_player, support_user):
    withdrawal = request(funded_player, amount="50.00")
    client.force_login(support_user)
    page = client.get(reverse("admin:billing_withdrawal_changelist"))
    assert page.status_code == 200 and b"approve_withdrawals" not in page.content
    url = reverse("admin:billing_withdrawal_changelist")
    client.post(url, {"action": "approve_withdrawals", "_selected_action": [withdrawal.pk], "confirm": "yes"})
    assert Withdrawal.objects.get(pk=withdrawal.pk).approved_by is None
    payments = client.get(reverse("admin:billing_payment_changelist"))
    assert payments.status_code == 200 and b"refund_payments" not in payments.content
