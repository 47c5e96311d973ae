"""Player metrics from facts: the incremental path (reactions) and the full recompute give the same rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from ledger.models import TransferKind
from loyalty import services
from loyalty.models import PlayerMetrics
from loyalty.services.metrics import COLUMNS
from tests.factories.accounts import CustomerFactory
from tests.loyalty.conftest import LOSS, PUSH, WIN

pytestmark = pytest.mark.django_db


def rows():
    return {
        row["customer_id"]: row for row in PlayerMetrics.objects.values("customer_id", *COLUMNS).order_by("customer_id")
    }


def world(play):
    """Three players: one who plays two games and wins some, one who only deposits, one idle."""
    roulette, slots = play.game(name="Roulette Royale", type="casino"), play.game(name="Star Slots", type="arcade")
    ada, bob, cy = CustomerFactory(), CustomerFactory(), CustomerFactory()
    play.deposit(ada, "300.00")
    play.deposit(ada, "50.00", kind=TransferKind.TOPUP)
    play.deposit(bob, "20.00", kind=TransferKind.PAYMENT)
    first = play.session(ada, roulette)
    play.bet(first, "10.00", WIN, payout="20.00")
    play.bet(first, "7.00", LOSS)
    play.bet(first, "5.00", PUSH)  # stake returned: not wagered
    play.end(first)
    second = play.session(ada, slots)
    play.bet(second, "3.00", LOSS)
    play.bet(second, "4.00", None)  # placed, not settled: not counted yet
    return ada, bob, cy


def test_metrics_follow_deposits_bets_and_sessions(play):
    ada, bob, cy = world(play)
    metrics = PlayerMetrics.objects.get(customer=ada)
    assert metrics.total_deposited == Decimal("350.00")
    assert metrics.total_wagered == Decimal("20.00")
    assert metrics.total_won == Decimal("20.00")
    assert metrics.net_pnl == Decimal("0.00")
    assert metrics.total_bets == 3
    assert metrics.avg_bet_size == Decimal("6.6667")
    assert metrics.win_loss_ratio == Decimal("0.5000")
    assert metrics.total_sessions == 1
    assert metrics.games_played == {"casino": 1, "arcade": 1}
    assert metrics.last_deposit_at is not None and metrics.last_wager_at is not None
    assert metrics.volatility_score > 0
    assert PlayerMetrics.objects.get(customer=bob).total_deposited == Decimal("20.00")
    assert not PlayerMetrics.objects.filter(customer=cy).exists()  # nothing happened to them yet


def test_incremental_and_full_recompute_give_identical_rows(play):
    world(play)
    incremental = rows()
    PlayerMetrics.objects.all().delete()
    written = services.recompute_all_metrics()
    full = rows()
    assert written == len(full) >= 3
    for customer_id, row in incremental.items():
        assert full[customer_id] == row
    # The idle player gets a row of zeros from the full path only.
    assert set(full) - set(incremental)


def test_the_orm_oracle_agrees_with_the_stored_rows(play):
    ada, _, _ = world(play)
    services.recompute_all_metrics()
    stored = rows()[ada.pk]
    oracle = services.metrics_values(customer=ada)
    assert {k: oracle[k] for k in COLUMNS} == {k: stored[k] for k in COLUMNS}


def test_metrics_as_of_replays_the_past_without_writing(play):
    ada = CustomerFactory()
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        play.deposit(ada, "100.00")
    play.deposit(ada, "25.00")
    before = rows()
    past = services.metrics_as_of(as_of=timezone.now() - timedelta(days=2), customer_ids=[ada.pk])
    assert past[ada.pk]["total_deposited"] == Decimal("100.00")
    assert rows() == before
