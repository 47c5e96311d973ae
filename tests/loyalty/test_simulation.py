"""Simulate, Explain and Backtest: what a rule would do, without writing, through the service, the
command and the rule's admin pages."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from loyalty import services
from loyalty.models import RewardGrant, Segment
from loyalty.services.simulation import backtest_rule, explain_rule, simulate_rule
from tests.factories.loyalty import AbuseSignalFactory
from tests.loyalty.conftest import LOSS
from tests.loyalty.test_rules import SEED_REWARD, player, seed_rule

pytestmark = pytest.mark.django_db


def population():
    big = player(net_pnl="-4000.00")
    small = player(net_pnl="-150.00")
    flagged = player(net_pnl="-600.00")
    AbuseSignalFactory(customer=flagged, severity=9)
    player(segment=Segment.WINNING)
    return big, small, flagged


def test_simulation_shows_what_the_next_evaluation_grants(django_assert_max_num_queries):
    rule = seed_rule(is_active=False)
    big, small, flagged = population()
    result = simulate_rule(rule=rule)
    assert RewardGrant.objects.count() == 0  # nothing written
    assert result.matched == 3 and result.grants == 3
    assert result.total == Decimal("400.00") + Decimal("15.00") + Decimal("60.00")
    assert result.held == 1
    assert [row["customer"] for row in result.top] == [big, flagged, small]
    assert sum(b["count"] for b in result.histogram) == 3

    services.update_reward_rule(
        rule=rule,
        name=rule.name,
        description="",
        priority=rule.priority,
        is_active=True,
        conditions=rule.conditions,
        reward_config=rule.reward_config,
    )
    services.evaluate_rules()
    granted = sorted(RewardGrant.objects.filter(rule=rule).values_list("customer_id", flat=True))
    assert granted == result.customer_ids
    assert sum(RewardGrant.objects.filter(rule=rule).values_list("amount", flat=True)) == result.total


def test_simulation_shows_players_taken_by_a_higher_exclusive_rule():
    seed_rule(rule_id="high", priority=90, reward_config={**SEED_REWARD, "exclusive": True})
    low = seed_rule(rule_id="low", priority=1, conditions={"segment": "LOSING"})
    population()
    result = simulate_rule(rule=low)
    assert result.matched == 3 and result.taken_by_higher == 3 and result.grants == 0
    assert result.higher[0]["rule"].rule_id == "high" and result.higher[0]["taken"] == 3


def test_explain_lists_each_condition_with_the_players_value():
    rule = seed_rule()
    customer = player(sessions=2)
    explanation = explain_rule(rule=rule, customer=customer)
    verdicts = {c["key"]: c["passes"] for c in explanation.checks}
    assert verdicts == {
        "segment": True,
        "net_loss_min": True,
        "session_count_min": False,
        "days_since_last_deposit.max": True,
    }
    value = next(c["value"] for c in explanation.checks if c["key"] == "session_count_min")
    assert value == 2
    assert not explanation.qualifies and explanation.amount == Decimal("30.00")


def test_backtest_replays_each_day_from_the_facts(play):
    from tests.factories.accounts import CustomerFactory

    rule = seed_rule(
        conditions={"net_loss_min": 10},
        reward_config={"type": "LOYALTY_POINTS", "formula": "net_loss", "period": "daily"},
    )
    customer = CustomerFactory()
    services.ensure_player_profile(customer=customer)
    game = play.game()
    play.deposit(customer, "100.00")
    play.bet(play.session(customer, game), "20.00", LOSS)
    today = timezone.localdate()
    days = backtest_rule(rule=rule, since=today - timedelta(days=2))
    assert [d["paid"] for d in days] == [0, 0, 1]
    assert days[-1]["total"] == Decimal("20.00")


def test_the_command_simulates_explains_and_backtests():
    rule = seed_rule()
    customer = player()
    out = StringIO()
    call_command("loyalty_simulate", rule.rule_id, stdout=out)
    assert "Matching players: 1" in out.getvalue() and "Would grant: 1 for a total of 30.00" in out.getvalue()
    out = StringIO()
    call_command("loyalty_simulate", rule.rule_id, "--player", str(customer.player_id), stdout=out)
    assert "session_count_min" in out.getvalue() and "qualifies: yes" in out.getvalue()
    out = StringIO()
    call_command("loyalty_simulate", rule.rule_id, "--since", timezone.localdate().isoformat(), stdout=out)
    # The backtest replays facts; this player's metrics were written by hand, with no facts behind them.
    assert f"{timezone.localdate().isoformat()}  matched      0  paid      0" in out.getvalue()


def test_the_rule_admin_pages_simulate_explain_and_backtest(admin_client, django_assert_max_num_queries):
    rule = seed_rule()
    customer = population()[0]
    for _ in range(5):
        player()
    with django_assert_max_num_queries(40):
        page = admin_client.get(reverse("admin:loyalty_rewardrule_simulate", args=[rule.pk]))
    assert page.status_code == 200
    assert b'data-testid="grants">8<' in page.content
    page = admin_client.get(
        reverse("admin:loyalty_rewardrule_explain", args=[rule.pk]), {"player": str(customer.player_id)}
    )
    assert page.status_code == 200 and b"qualifies" in page.content
    page = admin_client.get(reverse("admin:loyalty_rewardrule_explain", args=[rule.pk]), {"player": "nobody"})
    assert b"No player with that" in page.content
    page = admin_client.get(reverse("admin:loyalty_rewardrule_backtest", args=[rule.pk]))
    assert page.status_code == 200 and b"Backtest days" in page.content
