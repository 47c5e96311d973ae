"""games.services: purchases, credits, metered sessions (reserve, extend, end, run dry) and bets."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from games import services
from games.errors import AlreadySettled, InvalidState, NotAllowed
from games.models import Bet, GameSession
from games.signals import bet_settled
from games.tasks import expire_metered_sessions
from ledger.errors import IdempotencyConflict, InsufficientFunds
from ledger.models import Asset, SystemWallet, Transfer, Wallet
from ledger.services import issue
from nodebyte_platform.models import JobRun, Reaction
from tests.factories.accounts import CustomerFactory, PartnerApplicationFactory, PartnerFactory
from tests.factories.games import BetLimitFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coin():
    return Asset.objects.get(code="COIN")


@pytest.fixture
def player(coin):
    customer = CustomerFactory()
    issue(user=customer.user, asset=coin, amount="10.00", initiator="test:fund", idempotency_key=f"f{customer.pk}")
    return customer


def balance(customer, asset) -> Decimal:
    wallet = Wallet.objects.filter(owner=customer.user, asset=asset).first()
    return wallet.balance if wallet else Decimal(0)


def reservations(asset) -> Decimal:
    return Wallet.objects.get(system_code=SystemWallet.RESERVATIONS, asset=asset).balance


def test_buy_package_is_one_transfer_with_coin_and_credit_legs(player, coin):
    package = PackageFactory(credit_value=50, gcoin_value=Decimal("4.00"))
    transfer = services.buy_package(customer=player, package=package, idempotency_key="k1")
    assert balance(player, coin) == Decimal("6.00")
    assert balance(player, package.credit_type.asset) == 50
    assert transfer.postings.count() == 4
    assert services.buy_package(customer=player, package=package, idempotency_key="k1") == transfer
    assert balance(player, coin) == Decimal("6.00")


def test_buy_package_without_coins_writes_nothing(player, coin):
    package = PackageFactory(gcoin_value=Decimal("10.01"))
    with pytest.raises(InsufficientFunds):
        services.buy_package(customer=player, package=package, idempotency_key="k")
    assert balance(player, package.credit_type.asset) == 0 and not Transfer.objects.filter(kind="purchase").exists()


def test_only_the_games_own_studio_grants_its_credits(player):
    package = PackageFactory()
    own = PartnerApplicationFactory(partner=PartnerFactory(studio=package.game.studio))
    other = PartnerApplicationFactory()
    with pytest.raises(NotAllowed):
        services.grant_credits(
            application=other,
            customer=player,
            credit_type=package.credit_type,
            amount=5,
            reason="x",
            idempotency_key="g",
        )
    services.grant_credits(
        application=own, customer=player, credit_type=package.credit_type, amount=5, reason="x", idempotency_key="g"
    )
    services.spend_credits(customer=player, credit_type=package.credit_type, amount=3, idempotency_key="s")
    assert balance(player, package.credit_type.asset) == 2
    with pytest.raises(IdempotencyConflict):
        services.spend_credits(customer=player, credit_type=package.credit_type, amount=1, idempotency_key="s")


def _metered(player, settings, price="1.00", minutes=3):
    settings.GAMES_SESSION_RESERVE_MINUTES = minutes
    package = PackageFactory()
    return services.start_session(customer=player, game=package.game, price_per_minute=price)


def test_metered_session_reserves_then_charges_started_minutes_and_releases_the_rest(player, coin, settings):
    session = _metered(player, settings)
    assert session.reserved_amount == Decimal("3.00")
    assert balance(player, coin) == Decimal("7.00") and reservations(coin) == Decimal("3.00")
    ended = services.end_session(session=session, result="win", when=session.started_at + timedelta(seconds=61))
    assert ended.status == "completed" and ended.duration_seconds == 61
    assert ended.total_cost == Decimal("2.00")  # two started minutes
    assert balance(player, coin) == Decimal("8.00") and reservations(coin) == 0
    with pytest.raises(InvalidState):
        services.end_session(session=session)


def test_metered_session_extends_while_the_balance_lasts_then_runs_dry(player, coin, settings):
    session = _metered(player, settings, price="2.00", minutes=3)  # holds 6.00 of 10.00
    start = session.started_at
    # Still inside the held minutes: nothing happens.
    assert services.extend_session(session=session, now=start + timedelta(seconds=90)).reserved_amount == Decimal("6")
    # Playing the last held minute: hold more, as much as the balance allows (2 of 3 minutes).
    extended = services.extend_session(session=session, now=start + timedelta(seconds=150))
    assert extended.reserved_amount == Decimal("10.00") and balance(player, coin) == 0
    # The reservation is used up and nothing more can be held: the session ends at 5 minutes.
    counts = services.expire_metered_sessions(now=start + timedelta(minutes=5, seconds=10))
    assert counts == {"checked": 1, "ended": 1, "errors": 0}
    session = GameSession.objects.get(pk=session.pk)
    assert session.status == "completed" and session.metadata["end_reason"] == "balance_exhausted"
    assert session.ended_at == start + timedelta(minutes=5) and session.total_cost == Decimal("10.00")
    assert balance(player, coin) == 0 and reservations(coin) == 0
    run = JobRun.objects.get(pk=expire_metered_sessions.apply().get()["run"])
    assert run.summary == {"checked": 0, "ended": 0, "errors": 0} and run.status == "succeeded"


def test_ending_past_the_reservation_charges_what_the_balance_allows(player, coin, settings):
    session = _metered(player, settings, price="1.00", minutes=2)
    ended = services.end_session(session=session, when=session.started_at + timedelta(minutes=30))
    assert ended.total_cost == Decimal("10.00") and balance(player, coin) == 0


def test_forfeit_charges_like_end(player, coin, settings):
    session = _metered(player, settings)
    ended = services.end_session(session=session, forfeit=True, when=session.started_at + timedelta(seconds=5))
    assert ended.status == "forfeited" and ended.result == "loss" and ended.total_cost == Decimal("1.00")
    assert balance(player, coin) == Decimal("9.00")


def test_metered_session_needs_one_affordable_minute(player, coin, settings):
    with pytest.raises(InsufficientFunds):
        _metered(player, settings, price="10.01")
    assert not GameSession.objects.exists() and balance(player, coin) == Decimal("10.00")


def test_free_session_moves_no_money(player, coin):
    session = services.start_session(customer=player, game=PackageFactory().game)
    ended = services.end_session(session=session, result="draw", score=Decimal("3"))
    assert ended.total_cost is None and balance(player, coin) == Decimal("10.00")


def betting_game():
    """A game that takes COIN bets (100 coins paid at most per bet)."""
    game = PackageFactory().game
    BetLimitFactory(game=game)
    return game


def test_bet_place_settle_once_and_emit_the_event(player, coin, django_capture_on_commit_callbacks):
    session = services.start_session(customer=player, game=betting_game())
    received = []
    bet_settled.reaction("tests.record_settlement")(lambda payload: received.append(payload["bet_id"]))
    try:
        bet = services.place_bet(session=session, amount="4.00", odds="2.50", idempotency_key="b1")
        assert balance(player, coin) == Decimal("6.00")
        assert services.place_bet(session=session, amount="4.00", odds="2.50", idempotency_key="b1") == bet
        with django_capture_on_commit_callbacks(execute=True):
            settled = services.settle_bet(bet=bet, outcome="win", payout="9.50")
        assert settled.status == "settled" and settled.is_successful and settled.payout_transfer is not None
        assert balance(player, coin) == Decimal("15.50")
        with pytest.raises(AlreadySettled):
            services.settle_bet(bet=bet, outcome="win", payout="9.50")
        assert balance(player, coin) == Decimal("15.50")
        assert received == [bet.pk]
        reaction = Reaction.objects.get(reaction="tests.record_settlement")
        assert (reaction.event, reaction.event_key, reaction.status) == (
            "games.bet_settled",
            f"bet:{bet.public_id}",
            "done",
        )
    finally:
        bet_settled.reactions.pop("tests.record_settlement")


def test_lost_and_pushed_bets(player, coin):
    session = services.start_session(customer=player, game=betting_game())
    lost = services.place_bet(session=session, amount="1.00", odds="3", idempotency_key="l")
    pushed = services.place_bet(session=session, amount="2.00", max_payout="2.00", idempotency_key="p")
    assert services.settle_bet(bet=lost, outcome="loss").payout_transfer is None
    assert services.settle_bet(bet=pushed, outcome="push").payout == Decimal("2.00")
    assert balance(player, coin) == Decimal("9.00")


def test_no_bets_in_an_ended_session(player):
    session = services.start_session(customer=player, game=PackageFactory().game)
    services.end_session(session=session, when=timezone.now())
    with pytest.raises(InvalidState):
        services.place_bet(session=session, amount="1.00", odds="2", idempotency_key="x")


def test_services_refuse_a_partner_acting_on_another_studios_game(player, coin):
    """What the API checks by token, the services check again: another studio's application is refused."""
    package = PackageFactory()
    BetLimitFactory(game=package.game)
    own = PartnerApplicationFactory(partner=PartnerFactory(studio=package.game.studio))
    other = PartnerApplicationFactory()
    services.grant_credits(
        application=own, customer=player, credit_type=package.credit_type, amount=5, reason="x", idempotency_key="g"
    )
    with pytest.raises(NotAllowed):
        services.spend_credits(
            customer=player, credit_type=package.credit_type, amount=1, idempotency_key="s", application=other
        )
    with pytest.raises(NotAllowed):
        services.buy_package(customer=player, package=package, idempotency_key="b", application=other)
    with pytest.raises(NotAllowed):
        services.start_session(customer=player, game=package.game, application=other)
    session = services.start_session(customer=player, game=package.game, application=own)
    with pytest.raises(NotAllowed):
        services.place_bet(session=session, amount="1.00", odds="2", idempotency_key="p", application=other)
    bet = services.place_bet(session=session, amount="1.00", odds="2", idempotency_key="p", application=own)
    with pytest.raises(NotAllowed):
        services.settle_bet(bet=bet, outcome="win", payout="2.00", application=other)
    assert balance(player, package.credit_type.asset) == 5 and balance(player, coin) == Decimal("9.00")
    assert Bet.objects.get(pk=bet.pk).status == "placed"


def test_place_bet_accepts_only_an_asset_the_game_plays_in(player):
    from games.errors import BettingNotEnabled, NotFound

    game = betting_game()
    other_credits = PackageFactory().credit_type.asset
    session = services.start_session(customer=player, game=game)
    for code in ("LP", "BONUS", other_credits.code):
        with pytest.raises(NotFound):
            services.place_bet(
                session=session, amount="1", asset=Asset.objects.get(code=code), odds="2", idempotency_key=code
            )
    with pytest.raises(BettingNotEnabled):  # a currency the game may take, but no limits are set for it
        services.place_bet(
            session=session, amount="1", asset=Asset.objects.get(code="EUR"), odds="2", idempotency_key="e"
        )
    assert not Bet.objects.exists()
