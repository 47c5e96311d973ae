"""Every loyalty job runs through the job runner, records its run, and a second run changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.models import RewardGrant
from nodebyte_platform.jobs import run_job
from nodebyte_platform.models import JobRunStatus
from nodebyte_platform.schedule import BEAT_SCHEDULE
from tests.factories.accounts import CustomerFactory
from tests.factories.loyalty import PlayerMetricsFactory, RewardRuleFactory
from tests.loyalty.test_rules import SEED_CONDITIONS, SEED_REWARD

pytestmark = pytest.mark.django_db

LOYALTY_JOBS = [
    "loyalty.recompute_metrics",
    "loyalty.recompute_standing",
    "loyalty.evaluate_rules",
    "loyalty.expire_bonuses",
    "loyalty.expire_points",
    "loyalty.detect_abuse",
]


def test_every_loyalty_job_is_on_beat():
    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert set(LOYALTY_JOBS) <= scheduled


@pytest.mark.parametrize("name", LOYALTY_JOBS)
def test_each_job_records_its_run_twice_over(name):
    first, second = run_job(name, trigger="command"), run_job(name, trigger="command")
    assert first.status == second.status == JobRunStatus.SUCCEEDED, (first.first_error, second.first_error)


def test_metrics_then_standing_then_rules_grant_the_seed_example_once(play):
    """The nightly order on real facts: a losing player ends up with the seed rule's cashback, once."""
    from loyalty import services
    from tests.loyalty.conftest import LOSS

    RewardRuleFactory(rule_id="losing-cashback", conditions=SEED_CONDITIONS, reward_config=SEED_REWARD)
    customer = CustomerFactory()
    services.ensure_player_profile(customer=customer)
    game = play.game()
    play.deposit(customer, "300.00")
    for _ in range(3):
        session = play.session(customer, game)
        for _ in range(4):
            play.bet(session, "10.00", LOSS)
        play.end(session)
    PlayerMetricsFactory._meta.model.objects.all().delete()  # the job rebuilds them from facts
    for name in ("loyalty.recompute_metrics", "loyalty.recompute_standing", "loyalty.evaluate_rules"):
        assert run_job(name, trigger="command").status == JobRunStatus.SUCCEEDED
    run_job("loyalty.evaluate_rules", trigger="command")
    grant = RewardGrant.objects.get(customer=customer)
    assert grant.amount == Decimal("12.00")  # 10% of the 120 lost
    assert grant.expires_at > timezone.now() + timedelta(hours=47)
