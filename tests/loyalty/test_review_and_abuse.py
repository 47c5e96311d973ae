"""Abuse detectors raise signals with evidence (once); a flagged player's reward waits in the admin's
review queue, where staff release or cancel it with a reason."""

from datetime import timedelta
from decimal import Decimal

import pytest
from constance import config
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from ledger.models import Asset, SystemWallet, TransferKind, Wallet
from ledger.services import Leg, issue, post_transfer, system_wallet, user_wallet
from loyalty import services
from loyalty.models import AbuseSignal, CurrencyType, RewardGrant, RewardStatus, RewardType
from loyalty.services.abuse import detect_abuse
from tests.factories.accounts import CustomerFactory, staff_user
from tests.factories.loyalty import AbuseSignalFactory, PlayerMetricsFactory
from tests.loyalty.conftest import LOSS

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:loyalty_rewardgrant_changelist"


def held_grant():
    customer = CustomerFactory()
    AbuseSignalFactory(customer=customer, severity=8)
    return services.issue_reward(
        customer=customer, reward_type=RewardType.TICKETS, amount="3", currency_type=CurrencyType.TICKETS
    )


def tickets(customer):
    return Wallet.objects.filter(owner=customer.user, asset__code="TICKETS").values_list("balance", flat=True).first()


def test_the_review_queue_releases_with_a_reason(client):
    grant = held_grant()
    client.force_login(staff_user(StaffRole.ADMIN))
    queue = client.get(reverse(CHANGELIST), {"review": "pending"})
    assert queue.status_code == 200 and str(grant.public_id) in queue.content.decode()
    asked = client.post(reverse(CHANGELIST), {"action": "release_grants", "_selected_action": [grant.pk]})
    assert asked.status_code == 200 and b"Release held rewards" in asked.content
    assert RewardGrant.objects.get(pk=grant.pk).status == RewardStatus.PENDING  # nothing until confirmed
    client.post(
        reverse(CHANGELIST),
        {"action": "release_grants", "_selected_action": [grant.pk], "confirm": "yes", "reason": "evidence checked"},
    )
    released = RewardGrant.objects.get(pk=grant.pk)
    assert released.status == RewardStatus.ACTIVE and released.metadata["release_reason"] == "evidence checked"
    assert tickets(grant.customer) == 3


def test_the_review_queue_cancels_with_a_reason(client):
    grant = held_grant()
    client.force_login(staff_user(StaffRole.ADMIN))
    client.post(
        reverse(CHANGELIST),
        {"action": "cancel_grants", "_selected_action": [grant.pk], "confirm": "yes", "reason": "multi-accounting"},
    )
    cancelled = RewardGrant.objects.get(pk=grant.pk)
    assert cancelled.status == RewardStatus.CANCELLED and cancelled.metadata["cancel_reason"] == "multi-accounting"
    assert not tickets(grant.customer)


@pytest.mark.parametrize("role", ["support", "accounting"])
def test_view_only_roles_cannot_release(client, role):
    grant = held_grant()
    client.force_login(staff_user(role))
    client.post(
        reverse(CHANGELIST),
        {"action": "release_grants", "_selected_action": [grant.pk], "confirm": "yes", "reason": "let it go"},
    )
    assert RewardGrant.objects.get(pk=grant.pk).status == RewardStatus.PENDING


def test_resolving_signals_releases_nothing_by_itself():
    grant = held_grant()
    for signal in AbuseSignal.objects.filter(customer=grant.customer):
        services.resolve_abuse_signal(signal=signal, resolved_by=staff_user(StaffRole.ADMIN))
    assert RewardGrant.objects.get(pk=grant.pk).status == RewardStatus.PENDING


def test_bonus_hunting_is_detected_once():
    customer = CustomerFactory()
    coin = Asset.objects.get(code="COIN")
    issue(user=customer.user, asset=coin, amount="100.00", kind=TransferKind.DEPOSIT, initiator="system:test")
    services.issue_reward(
        customer=customer,
        reward_type=RewardType.BONUS_BALANCE,
        amount="50.00",
        currency_type=CurrencyType.BONUS,
        wagering_required="500.00",
    )
    post_transfer(
        kind=TransferKind.WITHDRAWAL,
        legs=[
            Leg(user_wallet(user=customer.user, asset=coin), Decimal("-100.00")),
            Leg(system_wallet(code=SystemWallet.PAYOUTS, asset=coin), Decimal("100.00")),
        ],
        initiator="system:test",
    )
    assert detect_abuse()["bonus_hunting"] == 1
    assert detect_abuse()["bonus_hunting"] == 0
    signal = AbuseSignal.objects.get(customer=customer, signal_type="bonus_hunting")
    assert signal.severity >= int(config.LOYALTY_HOLD_SEVERITY)
    assert Decimal(signal.metadata["wagering_required"]) == Decimal("500.00")


def test_max_bet_breach_while_a_bonus_is_active(play):
    game = play.game()
    customer = CustomerFactory()
    issue(user=customer.user, asset=Asset.objects.get(code="COIN"), amount="100.00", initiator="system:test")
    services.issue_reward(
        customer=customer,
        reward_type=RewardType.BONUS_BALANCE,
        amount="10.00",
        currency_type=CurrencyType.BONUS,
        wagering_required="100.00",
        max_bet="5.00",
        expires_at=timezone.now() + timedelta(days=1),
    )
    play.bet(play.session(customer, game), "20.00", LOSS)
    assert detect_abuse()["max_bet_breach"] == 1
    assert AbuseSignal.objects.get(signal_type="max_bet_breach").metadata["largest"] == "20.0000"


def test_referral_rings_and_abnormal_win_ratio():
    config.LOYALTY_REFERRAL_RING_MIN = 3
    inviter = CustomerFactory()
    for _ in range(3):
        CustomerFactory(inviter=inviter)
    lucky = PlayerMetricsFactory(total_bets=50, win_loss_ratio=Decimal("9.0"))
    found = detect_abuse()
    assert found["referral_ring"] == 1 and found["abnormal_win_ratio"] == 1
    assert AbuseSignal.objects.filter(customer=inviter, signal_type="referral_ring").exists()
    assert AbuseSignal.objects.filter(customer=lucky.customer, signal_type="abnormal_win_ratio").exists()
