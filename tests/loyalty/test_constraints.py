"""Every check and unique constraint of loyalty refuses the bad row in the database."""

from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.models import AbuseSignal, PlayerProfile, RewardGrant, RewardRule, Tier, TierLevel
from tests.constraint_cases import assert_duplicate_refused, assert_update_refused
from tests.factories.loyalty import (
    AbuseSignalFactory,
    PlayerMetricsFactory,
    PlayerProfileFactory,
    RewardGrantFactory,
    RewardRuleFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("risk_score", [101, 1000])
def test_risk_score_above_100_refused(risk_score):
    assert_update_refused(PlayerProfileFactory(), risk_score=risk_score)


def test_risk_score_bounds_accepted():
    profile = PlayerProfileFactory(risk_score=0)
    PlayerProfile.objects.filter(pk=profile.pk).update(risk_score=100)
    assert PlayerProfile.objects.get(pk=profile.pk).risk_score == 100


def test_one_profile_per_customer():
    profile = PlayerProfileFactory()
    assert_duplicate_refused(lambda: PlayerProfile.objects.create(customer=profile.customer))


def test_metrics_abuse_score_above_100_refused():
    assert_update_refused(PlayerMetricsFactory(), bonus_abuse_score=101)


@pytest.mark.parametrize("field", ["total_deposited", "total_wagered", "total_won"])
def test_metrics_negative_totals_refused(field):
    assert_update_refused(PlayerMetricsFactory(), **{field: Decimal("-0.01")})


@pytest.mark.parametrize("field", ["total_playtime_hours", "avg_session_duration"])
def test_metrics_negative_durations_refused(field):
    assert_update_refused(PlayerMetricsFactory(), **{field: Decimal("-1")})


def test_metrics_net_pnl_may_be_negative():
    metrics = PlayerMetricsFactory(net_pnl=Decimal("-500"))
    assert metrics.net_pnl < 0


def test_tier_level_unique():
    TierFactory(tier_level=TierLevel.GOLD)
    assert_duplicate_refused(lambda: Tier.objects.create(tier_level=TierLevel.GOLD, lp_min=1))


@pytest.mark.parametrize("lp_max", [0, 1000])
def test_tier_max_not_above_min_refused(lp_max):
    assert_update_refused(TierFactory(tier_level=TierLevel.SILVER), lp_max=lp_max)


def test_rule_id_unique():
    rule = RewardRuleFactory()
    assert_duplicate_refused(lambda: RewardRule.objects.create(rule_id=rule.rule_id, name="copy", reward_config={}))


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5")])
def test_grant_amount_must_be_positive(amount):
    assert_update_refused(RewardGrantFactory(), amount=amount)


@pytest.mark.parametrize("field", ["wagering_required", "wagering_completed"])
def test_grant_negative_wagering_refused(field):
    assert_update_refused(RewardGrantFactory(), **{field: Decimal("-1")})


def test_grant_max_bet_must_be_positive():
    assert_update_refused(RewardGrantFactory(), max_bet=Decimal("0"))


def test_grant_once_per_rule_player_and_period():
    grant = RewardGrantFactory(period_key="2026-11-21")
    assert_duplicate_refused(
        lambda: RewardGrant.objects.create(
            customer=grant.customer,
            rule=grant.rule,
            period_key="2026-11-21",
            reward_type=grant.reward_type,
            amount=Decimal("1"),
            currency_type=grant.currency_type,
        )
    )


def test_grants_without_period_are_not_deduplicated():
    grant = RewardGrantFactory(period_key="")
    RewardGrantFactory(customer=grant.customer, rule=grant.rule, period_key="")
    assert RewardGrant.objects.filter(rule=grant.rule, customer=grant.customer).count() == 2


@pytest.mark.parametrize("severity", [0, 11])
def test_abuse_severity_outside_1_10_refused(severity):
    assert_update_refused(AbuseSignalFactory(), severity=severity)


@pytest.mark.parametrize("severity", [1, 10])
def test_abuse_severity_bounds_accepted(severity):
    assert AbuseSignalFactory(severity=severity).severity == severity


def test_resolved_signal_needs_resolution_time():
    assert_update_refused(AbuseSignalFactory(), is_resolved=True, resolved_at=None)


def test_resolved_signal_with_time_accepted():
    signal = AbuseSignalFactory()
    AbuseSignal.objects.filter(pk=signal.pk).update(is_resolved=True, resolved_at=timezone.now())
    assert AbuseSignal.objects.get(pk=signal.pk).is_resolved
