"""Factories for every loyalty model. Accounts objects come from tests.factories.accounts (lazy paths)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from loyalty import models as m

CUSTOMER = "tests.factories.accounts.CustomerFactory"
USER = "tests.factories.accounts.UserFactory"

TIER_LP_MIN = {
    m.TierLevel.BRONZE: 0,
    m.TierLevel.SILVER: 1000,
    m.TierLevel.GOLD: 5000,
    m.TierLevel.PLATINUM: 20000,
}


class PlayerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PlayerProfile

    customer = factory.SubFactory(CUSTOMER)
    segment = m.Segment.NEW
    tier = m.TierLevel.BRONZE
    risk_score = 10
    last_activity_at = factory.LazyFunction(timezone.now)


class PlayerMetricsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.PlayerMetrics

    customer = factory.SubFactory(CUSTOMER)
    total_deposited = Decimal("250.00")
    total_wagered = Decimal("900.00")
    total_won = Decimal("700.00")
    net_pnl = Decimal("-200.00")
    house_edge_contribution = Decimal("200.00")
    total_sessions = 12
    total_playtime_hours = Decimal("7.50")
    avg_session_duration = Decimal("37.50")
    total_bets = 90
    avg_bet_size = Decimal("10.00")
    games_played = factory.LazyFunction(lambda: {"slots": 60, "roulette": 30})
    win_loss_ratio = Decimal("0.7778")
    volatility_score = Decimal("1.2500")
    bonus_abuse_score = 5
    computed_at = factory.LazyFunction(timezone.now)


class TierFactory(factory.django.DjangoModelFactory):
    """One row per tier level (the level is unique): repeated calls return the existing row."""

    class Meta:
        model = m.Tier
        django_get_or_create = ("tier_level",)

    tier_level = factory.Iterator(m.TierLevel.values)
    lp_min = factory.LazyAttribute(lambda o: TIER_LP_MIN[o.tier_level])
    lp_max = None
    benefits = factory.LazyFunction(lambda: {"cashback_percent": 5})


class RewardRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.RewardRule

    rule_id = factory.Sequence(lambda n: f"losing-cashback-{n}")
    name = factory.Sequence(lambda n: f"Losing player cashback {n}")
    description = "10% of net loss back as bonus money"
    priority = 10
    is_active = True
    conditions = factory.LazyFunction(lambda: {"segment": "LOSING", "net_loss_min": 100, "session_count_min": 3})
    reward_config = factory.LazyFunction(
        lambda: {
            "type": "BONUS_BALANCE",
            "formula": "net_loss * 0.10",
            "max_amount": 500,
            "wagering_requirement": 10,
            "expiry_hours": 48,
            "eligible_games": ["slots", "roulette"],
        }
    )


class RewardGrantFactory(factory.django.DjangoModelFactory):
    """A pending grant (no ledger movement yet; activation posts the transfer)."""

    class Meta:
        model = m.RewardGrant

    customer = factory.SubFactory(CUSTOMER)
    rule = factory.SubFactory(RewardRuleFactory)
    period_key = factory.Sequence(lambda n: f"2026-W{n % 52 + 1:02d}-{n}")
    reward_type = m.RewardType.BONUS_BALANCE
    amount = Decimal("25.00")
    currency_type = m.CurrencyType.BONUS
    wagering_required = Decimal("250.00")
    max_bet = Decimal("5.00")
    eligible_games = factory.LazyFunction(lambda: ["slots", "roulette"])
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=48))


class AbuseSignalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.AbuseSignal

    customer = factory.SubFactory(CUSTOMER)
    signal_type = "bonus_hunting"
    severity = 6
    description = "Deposits only when a bonus is active"
    metadata = factory.LazyFunction(lambda: {"bonuses_claimed": 4})


__all__ = [
    "AbuseSignalFactory",
    "PlayerMetricsFactory",
    "PlayerProfileFactory",
    "RewardGrantFactory",
    "RewardRuleFactory",
    "TierFactory",
]


class TierChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TierChange

    customer = factory.SubFactory(CUSTOMER)
    old_tier = m.TierLevel.BRONZE
    new_tier = m.TierLevel.SILVER
    reason = "LP earned in the last 90 days reached Silver"
    lp_earned = Decimal("1200.00")


__all__ += ["TierChangeFactory"]
