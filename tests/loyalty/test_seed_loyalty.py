"""seed_demo's loyalty part: the seed's example rule is ready to simulate, a bonus is in progress and a
flagged player's reward waits in the review queue."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Customer
from loyalty.models import PlayerMetrics, RewardGrant, RewardRule, RewardStatus, Segment
from loyalty.services.simulation import simulate_rule

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def seeded(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}
    call_command("seed_demo", stdout=StringIO())


def test_the_demo_loyalty_program(seeded):
    bob = Customer.objects.get(user__username="bob")
    rule = RewardRule.objects.get(rule_id="losing-cashback")
    assert not rule.is_active
    assert rule.conditions == {
        "segment": "LOSING",
        "net_loss_min": 100,
        "session_count_min": 3,
        "days_since_last_deposit": {"max": 7},
    }
    metrics = PlayerMetrics.objects.get(customer=bob)
    assert metrics.net_pnl == -105 and metrics.total_sessions == 3 and metrics.total_bets == 12
    assert bob.loyalty_profile.segment == Segment.LOSING
    result = simulate_rule(rule=rule)
    assert result.customer_ids == [bob.pk] and str(result.total) == "10.50"
    assert [bucket["count"] for bucket in result.histogram] == [1]  # one amount: one bar
    assert RewardGrant.objects.filter(
        customer__user__username="alice", status=RewardStatus.ACTIVE, reward_type="BONUS_BALANCE"
    ).exists()
    assert RewardGrant.objects.get(customer__user__username="carol").status == RewardStatus.PENDING
    assert PlayerMetrics.objects.count() >= 3
