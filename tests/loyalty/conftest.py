"""A small world of play for the loyalty engine: players who deposit, bet and end sessions for real
(through the games and ledger services), so metrics, LP and wagering read real facts."""

from decimal import Decimal

import pytest
from django.db import transaction

from games import services as games_services
from games.models import BetOutcome
from ledger.models import Asset, TransferKind
from ledger.services import issue
from ledger.signals import deposit_posted
from tests.factories.games import BetLimitFactory, GameFactory, GameSessionFactory


class Play:
    """Helpers that drive the real services; `capture` runs the after-commit reactions."""

    def __init__(self, capture):
        self.capture = capture
        self.keys = 0

    def _key(self):
        self.keys += 1
        return f"k{self.keys}"

    def game(self, *, name="Roulette Royale", type="casino"):
        game = GameFactory(name=name, type=type)
        BetLimitFactory(game=game)
        return game

    def deposit(self, customer, amount, *, kind=TransferKind.DEPOSIT, code="COIN"):
        """A completed deposit as billing posts it: the transfer and `ledger.deposit_posted` together."""
        with self.capture(execute=True), transaction.atomic():
            transfer = issue(
                user=customer.user,
                asset=Asset.objects.get(code=code),
                amount=amount,
                kind=kind,
                initiator="system:test",
                idempotency_key=self._key(),
            )
            deposit_posted.emit(
                key=f"deposit:{transfer.public_id}",
                transfer_id=transfer.pk,
                customer_id=customer.pk,
                asset=code,
                amount=str(amount),
            )
            return transfer

    def session(self, customer, game):
        return GameSessionFactory(customer=customer, game=game)

    def bet(self, session, amount, outcome, *, payout=None, asset=None):
        with self.capture(execute=True):
            bet = games_services.place_bet(
                session=session, amount=Decimal(amount), odds="2", idempotency_key=self._key(), asset=asset
            )
            if outcome is not None:
                bet = games_services.settle_bet(
                    bet=bet, outcome=outcome, payout=Decimal(payout) if payout is not None else None
                )
        return bet

    def end(self, session):
        with self.capture(execute=True):
            return games_services.end_session(session=session)


@pytest.fixture
def play(django_capture_on_commit_callbacks):
    return Play(django_capture_on_commit_callbacks)


WIN, LOSS, PUSH = BetOutcome.WIN, BetOutcome.LOSS, BetOutcome.PUSH
