"""Reward rules: the seed's shapes compile, bad ones are refused by name, evaluation grants once per period."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.models import Wallet
from loyalty import services
from loyalty.errors import ValidationFailed
from loyalty.models import PlayerMetrics, RewardGrant, RewardStatus, Segment
from loyalty.rules import RuleInvalid, compile_rule
from tests.factories.accounts import CustomerFactory
from tests.factories.loyalty import AbuseSignalFactory, PlayerMetricsFactory, PlayerProfileFactory, RewardRuleFactory

pytestmark = pytest.mark.django_db

SEED_CONDITIONS = {
    "segment": "LOSING",
    "net_loss_min": 100,
    "session_count_min": 3,
    "days_since_last_deposit": {"max": 7},
}
SEED_REWARD = {
    "type": "BONUS_BALANCE",
    "formula": "net_loss * 0.10",
    "max_amount": 500,
    "wagering_requirement": 10,
    "expiry_hours": 48,
    "eligible_games": ["slots", "roulette"],
}


def player(*, segment=Segment.LOSING, net_pnl="-300.00", sessions=5, deposit_days_ago=2, **metrics):
    customer = CustomerFactory()
    PlayerProfileFactory(customer=customer, segment=segment)
    PlayerMetricsFactory(
        customer=customer,
        net_pnl=Decimal(net_pnl),
        total_sessions=sessions,
        last_deposit_at=None if deposit_days_ago is None else timezone.now() - timedelta(days=deposit_days_ago),
        **metrics,
    )
    return customer


def seed_rule(**overrides):
    return RewardRuleFactory(
        rule_id=overrides.pop("rule_id", "losing-cashback"),
        conditions=overrides.pop("conditions", SEED_CONDITIONS),
        reward_config=overrides.pop("reward_config", SEED_REWARD),
        **overrides,
    )


def bonus_balance(customer):
    return Wallet.objects.filter(owner=customer.user, asset__code="BONUS").values_list("balance", flat=True).first()


def test_the_seed_example_compiles_and_matches_as_written():
    compiled = compile_rule(conditions=SEED_CONDITIONS, reward_config=SEED_REWARD)
    matching = player()
    player(segment=Segment.WINNING)  # wrong segment
    player(net_pnl="-50.00")  # lost too little
    player(sessions=2)  # too few sessions
    player(deposit_days_ago=8)  # deposited too long ago
    player(deposit_days_ago=None)  # never deposited
    found = PlayerMetrics.objects.filter(compiled.q(now=timezone.now())).values_list("customer_id", flat=True)
    assert list(found) == [matching.pk]
    assert compiled.amount({"net_loss": Decimal("300.00")}) == Decimal("30.00")
    assert compiled.amount({"net_loss": Decimal("9000.00")}) == Decimal("500.00")  # max_amount


@pytest.mark.parametrize(
    "conditions, reward, key",
    [
        ({"segmnt": "LOSING"}, SEED_REWARD, "segmnt"),
        ({"segment": "RICH"}, SEED_REWARD, "segment"),
        ({"days_since_last_deposit": 7}, SEED_REWARD, "days_since_last_deposit"),
        ({"net_loss_min": "lots"}, SEED_REWARD, "net_loss_min"),
        (SEED_CONDITIONS, {**SEED_REWARD, "formula": "net_loss.__class__"}, "formula"),
        (SEED_CONDITIONS, {**SEED_REWARD, "formula": "__import__('os')"}, "formula"),
        (SEED_CONDITIONS, {**SEED_REWARD, "formula": "balance * 2"}, "formula"),
        (SEED_CONDITIONS, {**SEED_REWARD, "formula": "'a' * 10"}, "formula"),
        (SEED_CONDITIONS, {**SEED_REWARD, "formula": "net_loss if net_loss else 1"}, "formula"),
        (SEED_CONDITIONS, {**SEED_REWARD, "max_amont": 5}, "max_amont"),
        (SEED_CONDITIONS, {**SEED_REWARD, "period": "hourly"}, "period"),
        (SEED_CONDITIONS, {**SEED_REWARD, "type": "VIP_PERKS"}, "type"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_key(conditions, reward, key):
    with pytest.raises(RuleInvalid) as refused:
        compile_rule(conditions=conditions, reward_config=reward)
    assert refused.value.key == key
    with pytest.raises(ValidationFailed) as saved:
        services.create_reward_rule(rule_id="bad", name="Bad", conditions=conditions, reward_config=reward)
    assert saved.value.details["key"] == key


def test_formula_calls_only_min_max_round():
    compiled = compile_rule(
        conditions={}, reward_config={"type": "LOYALTY_POINTS", "formula": "round(max(net_loss, 0) / 3, 1) + 0.04"}
    )
    assert compiled.amount({"net_loss": Decimal("10")}) == Decimal("3.34")
    with pytest.raises(RuleInvalid, match="pow"):
        compile_rule(conditions={}, reward_config={"type": "LOYALTY_POINTS", "formula": "pow(net_loss, 2)"})


def test_evaluation_grants_the_matches_once_per_period_through_the_ledger():
    rule = seed_rule()
    winner, other = player(net_pnl="-300.00"), player(net_pnl="-40.00")
    assert services.evaluate_rules() == {"losing-cashback": 1}
    assert services.evaluate_rules() == {"losing-cashback": 0}
    grant = RewardGrant.objects.get(rule=rule)
    assert grant.customer == winner and grant.status == RewardStatus.ACTIVE and grant.period_key == "once"
    assert grant.amount == Decimal("30.00")
    assert grant.wagering_required == Decimal("300.00")
    assert grant.eligible_games == ["slots", "roulette"]
    assert grant.expires_at is not None and grant.transfer is not None
    assert bonus_balance(winner) == Decimal("30.00")
    assert not RewardGrant.objects.filter(customer=other).exists()


def test_a_daily_rule_grants_again_the_next_day():
    rule = seed_rule(reward_config={**SEED_REWARD, "period": "daily"})
    player()
    now = timezone.now()
    services.evaluate_rules(now=now)
    services.evaluate_rules(now=now + timedelta(days=1))
    assert RewardGrant.objects.filter(rule=rule).count() == 2


def test_an_exclusive_higher_rule_stops_lower_ones_for_its_players():
    seed_rule(rule_id="vip-first", priority=50, reward_config={**SEED_REWARD, "exclusive": True})
    seed_rule(rule_id="everyone", priority=10, conditions={}, reward_config={"type": "TICKETS", "amount": 2})
    both, only_low = player(), player(segment=Segment.WINNING)
    summary = services.evaluate_rules()
    assert summary == {"vip-first": 1, "everyone": 1}
    assert RewardGrant.objects.get(rule__rule_id="everyone").customer == only_low
    assert RewardGrant.objects.get(rule__rule_id="vip-first").customer == both


def test_blocked_players_get_nothing():
    seed_rule()
    blocked = player()
    blocked.loyalty_profile.is_blocked = True
    blocked.loyalty_profile.save()
    assert services.evaluate_rules() == {"losing-cashback": 0}


def test_a_flagged_players_reward_waits_pending_without_money_until_released():
    seed_rule()
    flagged = player()
    AbuseSignalFactory(customer=flagged, severity=8)
    services.evaluate_rules()
    grant = RewardGrant.objects.get(customer=flagged)
    assert grant.status == RewardStatus.PENDING and grant.transfer is None
    assert not bonus_balance(flagged)
    assert list(services.pending_review()) == [grant]
    staff = CustomerFactory().user
    released = services.release_reward_grant(grant=grant, reason="checked the evidence", released_by=staff)
    assert released.status == RewardStatus.ACTIVE and released.expires_at is not None
    assert bonus_balance(flagged) == Decimal("30.00")
    with pytest.raises(Exception, match="cannot be released"):
        services.release_reward_grant(grant=released, reason="again", released_by=staff)


def test_a_low_severity_signal_does_not_hold():
    seed_rule()
    customer = player()
    AbuseSignalFactory(customer=customer, severity=2)
    services.evaluate_rules()
    assert RewardGrant.objects.get(customer=customer).status == RewardStatus.ACTIVE
