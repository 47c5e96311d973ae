"""Two workers evaluating the rules at the same moment grant nothing twice (PostgreSQL, real threads)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.models import Transfer, Wallet
from loyalty import services
from loyalty.models import PlayerProfile, RewardGrant
from tests.concurrency import run_at_once
from tests.factories.accounts import CustomerFactory
from tests.factories.loyalty import PlayerMetricsFactory, RewardRuleFactory
from tests.loyalty.test_rules import SEED_CONDITIONS, SEED_REWARD

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_evaluations_at_once_grant_each_player_once():
    RewardRuleFactory(rule_id="losing-cashback", conditions=SEED_CONDITIONS, reward_config=SEED_REWARD)
    players = []
    for _ in range(6):
        customer = CustomerFactory()
        # Registration opened a profile already (its reaction ran on commit): make the player a loser.
        profile = services.ensure_player_profile(customer=customer)
        PlayerProfile.objects.filter(pk=profile.pk).update(segment="LOSING")
        PlayerMetricsFactory(
            customer=customer,
            net_pnl=Decimal("-200.00"),
            total_sessions=4,
            last_deposit_at=timezone.now() - timedelta(days=1),
        )
        players.append(customer)
    results = run_at_once(services.evaluate_rules, 2)
    assert all(not isinstance(r, Exception) for r in results), results
    assert RewardGrant.objects.count() == 6
    assert Transfer.objects.filter(idempotency_key__startswith="reward:").count() == 6
    for customer in players:
        assert Wallet.objects.get(owner=customer.user, asset__code="BONUS").balance == Decimal("20.00")
