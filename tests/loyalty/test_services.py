"""Loyalty services: resolving abuse signals, cancelling grants (with claw-back), blocking players."""

from decimal import Decimal

import pytest

from ledger.errors import InsufficientFunds
from ledger.models import Asset, SystemWallet, Transfer, TransferKind, Wallet
from ledger.services import Leg, issue, post_transfer, system_wallet, user_wallet
from loyalty import services
from loyalty.errors import InvalidState, ValidationFailed
from loyalty.models import RewardGrant, RewardStatus
from tests.factories.accounts import staff_user
from tests.factories.loyalty import AbuseSignalFactory, PlayerProfileFactory, RewardGrantFactory

pytestmark = pytest.mark.django_db


def bonus() -> Asset:
    return Asset.objects.get(code="BONUS")


def active_grant(amount="25.00") -> RewardGrant:
    grant = RewardGrantFactory(amount=Decimal(amount))
    transfer = issue(
        user=grant.customer.user,
        asset=bonus(),
        amount=Decimal(amount),
        kind=TransferKind.BONUS_ISSUED,
        initiator="system:test",
    )
    grant.activate(transfer=transfer)
    grant.save()
    return grant


def bonus_balance(grant) -> Decimal:
    return Wallet.objects.get(owner=grant.customer.user, asset=bonus()).balance


def test_resolve_signal_records_who_and_when_once():
    staff = staff_user("support")
    signal = services.resolve_abuse_signal(signal=AbuseSignalFactory(), resolved_by=staff, note="false positive")
    assert signal.is_resolved and signal.resolved_at is not None and signal.resolved_by == staff
    assert signal.metadata["resolution_note"] == "false positive"
    with pytest.raises(InvalidState):
        services.resolve_abuse_signal(signal=signal, resolved_by=staff)


def test_cancel_pending_grant_moves_no_money():
    grant = services.cancel_reward_grant(grant=RewardGrantFactory(), reason="rule misfired")
    assert grant.status == RewardStatus.CANCELLED
    assert not Transfer.objects.filter(kind=TransferKind.REVERSAL).exists()


def test_cancel_active_grant_claws_back_its_transfer():
    grant = active_grant()
    assert bonus_balance(grant) == Decimal("25.00")
    cancelled = services.cancel_reward_grant(grant=grant, reason="abuse", cancelled_by=staff_user("admin"))
    assert cancelled.status == RewardStatus.CANCELLED
    assert bonus_balance(grant) == Decimal("0")
    assert Transfer.objects.filter(reverses=grant.transfer).count() == 1


def test_cancel_spent_grant_fails_and_changes_nothing():
    grant = active_grant()
    post_transfer(
        kind=TransferKind.BET,
        legs=[
            Leg(user_wallet(user=grant.customer.user, asset=bonus()), Decimal("-20")),
            Leg(system_wallet(code=SystemWallet.HOUSE, asset=bonus()), Decimal("20")),
        ],
        initiator="system:test",
    )
    with pytest.raises(InsufficientFunds):
        services.cancel_reward_grant(grant=grant, reason="abuse")
    assert RewardGrant.objects.get(pk=grant.pk).status == RewardStatus.ACTIVE


def test_cancel_needs_reason_and_open_grant():
    with pytest.raises(ValidationFailed):
        services.cancel_reward_grant(grant=RewardGrantFactory(), reason=" ")
    grant = services.cancel_reward_grant(grant=RewardGrantFactory(), reason="x")
    with pytest.raises(InvalidState) as exc:
        services.cancel_reward_grant(grant=grant, reason="again")
    assert exc.value.code == "invalid_state"


def test_block_and_unblock_player():
    profile = services.set_player_blocked(profile=PlayerProfileFactory(), blocked=True)
    assert profile.is_blocked
    assert not services.set_player_blocked(profile=profile, blocked=False).is_blocked


def test_a_blocked_player_moves_no_money_until_unblocked():
    from ledger.errors import WalletFrozen

    coin = Asset.objects.get(code="COIN")
    profile = PlayerProfileFactory()
    user = profile.customer.user
    wallet = user_wallet(user=user, asset=coin)
    other = user_wallet(user=PlayerProfileFactory().customer.user, asset=coin)
    issue(user=user, asset=coin, amount="10.00", initiator="system:test")
    services.set_player_blocked(profile=profile, blocked=True)
    with pytest.raises(WalletFrozen):
        post_transfer(kind="gift", legs=[Leg(wallet, Decimal("-1")), Leg(other, Decimal("1"))], initiator="t")

    services.set_player_blocked(profile=profile, blocked=False)
    post_transfer(kind="gift", legs=[Leg(wallet, Decimal("-1")), Leg(other, Decimal("1"))], initiator="t")
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("9.00")


def test_unblocking_keeps_a_freeze_placed_for_another_reason():
    from ledger.models import FrozenOwner
    from ledger.services import set_wallets_frozen

    profile = PlayerProfileFactory()
    user = profile.customer.user
    set_wallets_frozen(user=user, frozen=True, reason="Chargeback under review")
    services.set_player_blocked(profile=profile, blocked=True)
    assert FrozenOwner.objects.get(user=user).reason == "Chargeback under review"
    services.set_player_blocked(profile=profile, blocked=False)
    assert FrozenOwner.objects.get(user=user).reason == "Chargeback under review"


def test_issue_reward_credits_the_wallet_and_activates_once_per_period():
    from loyalty.models import CurrencyType, RewardType
    from tests.factories.accounts import CustomerFactory
    from tests.factories.loyalty import RewardRuleFactory

    customer, rule = CustomerFactory(), RewardRuleFactory()
    first = services.issue_reward(
        customer=customer,
        reward_type=RewardType.BONUS_BALANCE,
        amount="12.50",
        currency_type=CurrencyType.BONUS,
        rule=rule,
        period_key="2026-11-21",
        wagering_required="125",
    )
    again = services.issue_reward(
        customer=customer,
        reward_type=RewardType.BONUS_BALANCE,
        amount="12.50",
        currency_type=CurrencyType.BONUS,
        rule=rule,
        period_key="2026-11-21",
    )
    assert first.pk == again.pk
    assert first.status == RewardStatus.ACTIVE and first.transfer is not None
    assert Wallet.objects.get(owner=customer.user, asset=bonus()).balance == Decimal("12.50")


def test_issue_reward_refuses_bad_amounts():
    from loyalty.models import CurrencyType, RewardType
    from tests.factories.accounts import CustomerFactory

    customer = CustomerFactory()
    with pytest.raises(Exception) as exc:
        services.issue_reward(
            customer=customer, reward_type=RewardType.TICKETS, amount="1.5", currency_type=CurrencyType.TICKETS
        )
    assert exc.value.code == "invalid_amount"
    assert not RewardGrant.objects.filter(customer=customer).exists()


@pytest.mark.parametrize("severity", [0, 11])
def test_record_abuse_signal_checks_severity(severity):
    from tests.factories.accounts import CustomerFactory

    with pytest.raises(ValidationFailed):
        services.record_abuse_signal(customer=CustomerFactory(), signal_type="multi_account", severity=severity)


def test_default_tiers_come_with_the_migrations():
    from loyalty.models import Tier

    assert list(Tier.objects.values_list("tier_level", flat=True)) == ["BRONZE", "SILVER", "GOLD", "PLATINUM"]
