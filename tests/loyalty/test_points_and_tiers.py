"""LP per settled wager (once per bet, tier multiplier), redemption, staff adjustments, and tiers from LP
earned in a rolling window with the downgrade policies."""

from datetime import timedelta
from decimal import Decimal

import pytest
from constance import config
from django.utils import timezone

from ledger.errors import InsufficientFunds
from ledger.models import Asset, Transfer, TransferKind, Wallet
from ledger.services import issue
from loyalty import services
from loyalty.errors import ValidationFailed
from loyalty.models import PlayerProfile, TierChange, TierLevel
from nodebyte_platform.models import Reaction
from tests.factories.accounts import CustomerFactory, UserFactory
from tests.loyalty.conftest import LOSS, PUSH, WIN

pytestmark = pytest.mark.django_db


def balance(customer, code):
    return Wallet.objects.filter(owner=customer.user, asset__code=code).values_list("balance", flat=True).first() or 0


def earn(customer, amount):
    lp = Asset.objects.get(code="LP")
    issue(user=customer.user, asset=lp, amount=amount, kind=TransferKind.REWARD, initiator="system:test")


@pytest.fixture
def player(play):
    game = play.game()
    customer = CustomerFactory()
    services.ensure_player_profile(customer=customer)
    issue(user=customer.user, asset=Asset.objects.get(code="COIN"), amount="500.00", initiator="system:test")
    return customer, play.session(customer, game)


def test_a_settled_wager_earns_lp_once_and_a_push_earns_nothing(play, player):
    customer, session = player
    config.LOYALTY_LP_RATES = '{"default": "0.10", "casino": "0.50"}'
    bet = play.bet(session, "20.00", LOSS)
    play.bet(session, "20.00", PUSH)
    assert balance(customer, "LP") == Decimal("10.00")
    # Replaying the settlement's reaction earns nothing twice.
    services.earn_lp_for_bet(bet=bet)
    assert balance(customer, "LP") == Decimal("10.00")
    assert Transfer.objects.filter(initiator=f"bet:{bet.public_id}", idempotency_key="loyalty-lp").count() == 1
    assert Reaction.objects.filter(reaction="loyalty.earn_lp").count() == 2


def test_the_tier_multiplier_applies(play, player):
    customer, session = player
    PlayerProfile.objects.filter(customer=customer).update(tier=TierLevel.PLATINUM)  # benefits: lp_multiplier 2
    play.bet(session, "10.00", WIN, payout="20.00")
    assert balance(customer, "LP") == Decimal("2.00")  # 10 x 0.10 x 2


def test_redemption_converts_lp_at_the_configured_rate():
    customer = CustomerFactory()
    earn(customer, "100.00")
    services.redeem_points(customer=customer, target="RP", lp_amount="40.00", idempotency_key="a")
    services.redeem_points(customer=customer, target="RP", lp_amount="40.00", idempotency_key="a")  # replay
    assert balance(customer, "LP") == Decimal("60.00") and balance(customer, "RP") == Decimal("20.00")
    services.redeem_points(customer=customer, target="COIN", lp_amount="60.00", idempotency_key="b")
    assert balance(customer, "COIN") == Decimal("0.60")
    with pytest.raises(InsufficientFunds):
        services.redeem_points(customer=customer, target="RP", lp_amount="1.00", idempotency_key="c")
    with pytest.raises(ValidationFailed):
        services.redeem_points(customer=customer, target="EUR", lp_amount="1.00", idempotency_key="d")


def test_staff_adjust_points_with_a_reason_never_their_own():
    customer, staff = CustomerFactory(), UserFactory(is_staff=True)
    transfer = services.adjust_points(
        customer=customer, currency="LP", amount="25.00", reason="goodwill", by=staff, idempotency_key="x"
    )
    assert balance(customer, "LP") == Decimal("25.00")
    assert transfer.created_by == staff and transfer.description == "goodwill"
    with pytest.raises(ValidationFailed, match="reason"):
        services.adjust_points(customer=customer, currency="LP", amount="1", reason=" ", by=staff, idempotency_key="y")
    own = CustomerFactory(user=UserFactory(is_staff=True))
    with pytest.raises(ValidationFailed, match="own"):
        services.adjust_points(customer=own, currency="LP", amount="1", reason="me", by=own.user, idempotency_key="z")


def test_tiers_follow_lp_earned_in_the_window_not_the_balance():
    customer = CustomerFactory()
    services.ensure_player_profile(customer=customer)
    earn(customer, "1500.00")
    services.redeem_points(customer=customer, target="RP", lp_amount="1500.00", idempotency_key="spent")
    assert services.recompute_tiers()["upgraded"] == 1
    assert services.recompute_tiers()["upgraded"] == 0
    profile = PlayerProfile.objects.get(customer=customer)
    assert profile.tier == TierLevel.SILVER  # spent everything, still earned 1500
    change = TierChange.objects.get(customer=customer)
    assert (change.old_tier, change.new_tier) == (TierLevel.BRONZE, TierLevel.SILVER)
    assert change.reason == "1500.00 LP earned in 90 days reached Silver"


@pytest.mark.parametrize("policy", ["never", "automatic", "after_days"])
def test_downgrade_policies(policy):
    config.LOYALTY_TIER_DOWNGRADE = policy
    config.LOYALTY_TIER_DOWNGRADE_DAYS = 10
    customer = CustomerFactory()
    profile = services.ensure_player_profile(customer=customer)
    PlayerProfile.objects.filter(pk=profile.pk).update(tier=TierLevel.GOLD)  # earned nothing in the window
    now = timezone.now()
    services.recompute_tiers(now=now)
    first = PlayerProfile.objects.get(pk=profile.pk)
    services.recompute_tiers(now=now + timedelta(days=11))
    later = PlayerProfile.objects.get(pk=profile.pk)
    if policy == "never":
        assert first.tier == later.tier == TierLevel.GOLD
    elif policy == "automatic":
        assert first.tier == TierLevel.BRONZE
    else:
        assert first.tier == TierLevel.GOLD and first.below_tier_since is not None  # grace notice
        assert later.tier == TierLevel.BRONZE
        assert TierChange.objects.get(customer=customer).reason.endswith("for 10 days")


def test_tier_progress_says_points_needed_and_a_projected_date():
    customer = CustomerFactory()
    services.ensure_player_profile(customer=customer)
    earn(customer, "450.00")
    progress = services.tier_progress(customer=customer)
    assert progress["tier"] == TierLevel.BRONZE and progress["next_tier"] == TierLevel.SILVER
    assert progress["points_needed"] == Decimal("550.00")
    assert progress["projected_date"] is not None
    assert progress["percent"] == 45


def test_a_player_frozen_before_the_reaction_runs_earns_nothing(player):
    from games import services as games_services
    from ledger.services import set_wallets_frozen

    customer, session = player
    # Settled without running its after-commit reactions: the LP is not earned yet.
    bet = games_services.place_bet(session=session, amount=Decimal("20.00"), odds="2", idempotency_key="f1")
    bet = games_services.settle_bet(bet=bet, outcome=LOSS)
    set_wallets_frozen(user=customer.user, frozen=True, reason="Chargeback under review")
    assert services.earn_lp_for_bet(bet=bet) is None
    assert balance(customer, "LP") == 0
