"""Bonuses done right: only stakes at risk count, by asset and contribution weight; completion converts
and expiry forfeits by ledger transfers; LP expires oldest-first."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from ledger.models import Asset, Transfer, TransferKind, Wallet
from ledger.services import issue
from loyalty import services
from loyalty.models import CurrencyType, RewardGrant, RewardStatus, RewardType
from tests.factories.accounts import CustomerFactory
from tests.loyalty.conftest import LOSS, PUSH, WIN

pytestmark = pytest.mark.django_db


def balance(customer, code):
    return Wallet.objects.filter(owner=customer.user, asset__code=code).values_list("balance", flat=True).first() or 0


def bonus(customer, *, amount="10.00", wagering="20.00", **metadata):
    return services.issue_reward(
        customer=customer,
        reward_type=RewardType.BONUS_BALANCE,
        amount=amount,
        currency_type=CurrencyType.BONUS,
        wagering_required=wagering,
        expiry_hours=48,
        metadata=metadata,
    )


@pytest.fixture
def table(play):
    game = play.game(name="Roulette Royale", type="casino")
    customer = CustomerFactory()
    issue(user=customer.user, asset=Asset.objects.get(code="COIN"), amount="500.00", initiator="system:test")
    return customer, play.session(customer, game)


def fresh(grant):
    return RewardGrant.objects.get(pk=grant.pk)  # FSM-protected status: no refresh_from_db


def test_pushed_and_voided_bets_count_nothing(play, table):
    from games import services as games_services

    customer, session = table
    grant = bonus(customer, wagering="100.00")
    play.bet(session, "50.00", PUSH)
    play.bet(session, "50.00", PUSH)
    placed = play.bet(session, "30.00", None)
    with play.capture(execute=True):
        games_services.void_bet(bet=placed, reason="table closed")
    assert fresh(grant).wagering_completed == 0
    assert fresh(grant).status == RewardStatus.ACTIVE


def test_contribution_weights_and_asset_rules(play, table):
    customer, session = table
    weighted = bonus(customer, wagering="100.00", contribution_weights={"casino": 20})
    bonus_only = bonus(customer, wagering="100.00", wager_with="bonus")
    play.bet(session, "50.00", LOSS)
    assert fresh(weighted).wagering_completed == Decimal("10.0000")  # 20% of 50
    assert fresh(bonus_only).wagering_completed == 0  # a COIN bet is not the bonus's asset


def test_completion_converts_the_bonus_into_withdrawable_coins(play, table):
    customer, session = table
    grant = bonus(customer, amount="10.00", wagering="20.00")
    assert balance(customer, "BONUS") == Decimal("10.00")
    coins = balance(customer, "COIN")
    play.bet(session, "15.00", WIN, payout="30.00")
    play.bet(session, "5.00", LOSS)
    done = fresh(grant)
    assert done.status == RewardStatus.COMPLETED
    assert balance(customer, "BONUS") == 0
    assert balance(customer, "COIN") == coins - Decimal("20.00") + Decimal("30.00") + Decimal("10.00")
    assert Transfer.objects.filter(idempotency_key=f"bonus-converted:{grant.public_id}").count() == 1


def test_expiry_forfeits_the_rest_once_and_marks_the_grant_expired(table):
    customer, _ = table
    grant = bonus(customer)
    later = timezone.now() + timedelta(hours=49)
    first = services.expire_bonuses(now=later)
    second = services.expire_bonuses(now=later)
    assert first["expired"] == 1 and second["expired"] == 0
    assert fresh(grant).status == RewardStatus.EXPIRED
    assert balance(customer, "BONUS") == 0
    assert Transfer.objects.filter(kind=TransferKind.BONUS_EXPIRED).count() == 1


def test_lp_expires_oldest_first(settings):
    from constance import config

    config.LOYALTY_LP_VALIDITY_DAYS = 30
    customer = CustomerFactory()
    lp = Asset.objects.get(code="LP")
    start = timezone.now()
    with time_machine.travel(start - timedelta(days=40), tick=False):
        issue(user=customer.user, asset=lp, amount="100.00", kind=TransferKind.REWARD, initiator="system:test")
    with time_machine.travel(start - timedelta(days=10), tick=False):
        issue(user=customer.user, asset=lp, amount="50.00", kind=TransferKind.REWARD, initiator="system:test")
        services.redeem_points(customer=customer, target="RP", lp_amount="30.00", idempotency_key="r1")
    # 30 of the old 100 were spent first: 70 expire now, the recent 50 stay.
    assert services.expire_points(now=start) == {"wallets_expired": 1}
    assert balance(customer, "LP") == Decimal("50.00")
    assert services.expire_points(now=start) == {"wallets_expired": 0}
