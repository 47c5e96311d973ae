"""A settled bet (games) advances the wagering of the player's active bonuses (loyalty)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from games import services as games_services
from games.models import BetOutcome
from ledger.models import Asset
from ledger.services import issue
from loyalty.models import RewardGrant, RewardStatus
from tests.factories.games import BetLimitFactory, GameSessionFactory
from tests.factories.loyalty import RewardGrantFactory

pytestmark = pytest.mark.django_db


def active_grant(customer, **overrides):
    grant = RewardGrantFactory(customer=customer, **overrides)
    grant.activate()
    grant.save()
    return grant


@pytest.fixture
def session():
    session = GameSessionFactory(game__name="Roulette Royale", game__type="casino")
    BetLimitFactory(game=session.game)
    issue(user=session.customer.user, asset=Asset.objects.get(code="COIN"), amount="100.00", initiator="system:test")
    return session


def bet_and_settle(session, amount, key, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        bet = games_services.place_bet(session=session, amount=Decimal(amount), odds="2", idempotency_key=key)
        games_services.settle_bet(bet=bet, outcome=BetOutcome.LOSS)
    return bet


def test_settled_bets_advance_wagering_until_the_grant_completes(session, django_capture_on_commit_callbacks):
    grant = active_grant(
        session.customer, wagering_required=Decimal("8.00"), max_bet=Decimal("5.00"), eligible_games=["casino"]
    )

    bet_and_settle(session, "5.00", "w1", django_capture_on_commit_callbacks)
    grant = RewardGrant.objects.get(pk=grant.pk)  # FSM-protected status: no refresh_from_db
    assert grant.wagering_completed == Decimal("5.00")
    assert grant.status == RewardStatus.ACTIVE

    bet_and_settle(session, "4.00", "w2", django_capture_on_commit_callbacks)
    grant = RewardGrant.objects.get(pk=grant.pk)  # FSM-protected status: no refresh_from_db
    assert grant.wagering_completed == Decimal("8.00")  # capped at the requirement
    assert grant.status == RewardStatus.COMPLETED
    assert grant.completed_at is not None


def test_bets_that_do_not_qualify_leave_wagering_alone(session, django_capture_on_commit_callbacks):
    other_game = active_grant(session.customer, wagering_required=Decimal("50.00"), eligible_games=["slots"])
    over_max_bet = active_grant(session.customer, wagering_required=Decimal("50.00"), max_bet=Decimal("2.00"))
    expired = active_grant(
        session.customer, wagering_required=Decimal("50.00"), expires_at=timezone.now() - timedelta(minutes=1)
    )
    someone_else = active_grant(GameSessionFactory().customer, wagering_required=Decimal("50.00"), max_bet=None)
    qualifying = active_grant(session.customer, wagering_required=Decimal("50.00"), max_bet=None, eligible_games=[])

    bet_and_settle(session, "3.00", "w3", django_capture_on_commit_callbacks)

    for grant in (other_game, over_max_bet, expired, someone_else):
        grant = RewardGrant.objects.get(pk=grant.pk)  # FSM-protected status: no refresh_from_db
        assert grant.wagering_completed == 0, grant
    assert RewardGrant.objects.get(pk=qualifying.pk).wagering_completed == Decimal("3.00")
