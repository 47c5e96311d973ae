"""Bets over HTTP: who may settle, what a bet may pay, and the game's limits (issue 10, item 1).

The two requests that minted coins before the fix are replayed exactly as they were sent.
"""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from games import services
from games.models import Bet, BetExposure, BetLimit, BetLimitFinding, FindingReason
from ledger.models import Posting, SystemWallet, Wallet, amount_sum
from tests.api.conftest import PLAYER_SCOPES, error_code, fund

pytestmark = pytest.mark.django_db


def coins(customer) -> Decimal:
    return Wallet.objects.get(owner=customer.user, asset__code="COIN").balance


def house_coins() -> Decimal:
    house = Wallet.objects.get(system_code=SystemWallet.HOUSE, asset__code="COIN")
    return Posting.objects.filter(wallet=house).aggregate(total=amount_sum())["total"] or Decimal(0)


def start(world, api, token) -> str:
    response = api.post("/api/v1/sessions/", {"game_id": str(world.a.game.guid)}, token=token)
    assert response.status_code == 201, response.content
    return response.json()["session_id"]


def place(api, session_id, token, **body) -> dict:
    response = api.post(f"/api/v1/sessions/{session_id}/bets/", body, token=token)
    assert response.status_code == 201, response.content
    return response.json()


def settle(api, bet_id, token, key="auto", **body):
    return api.post(f"/api/v1/bets/{bet_id}/settle/", body, token=token, key=key)


def test_a_player_token_cannot_settle_its_own_bet_whatever_its_scopes(world, api):
    a, alice = world.a, world.alice
    token = a.player(alice)  # sessions:write, granted by the player
    bet = place(api, start(world, api, token), token, amount="0.01", odds="2.00")
    before = coins(alice), house_coins()

    response = settle(api, bet["bet_id"], token, outcome="win", payout="1000000.00")
    assert response.status_code == 403 and error_code(response) == "permission_denied"

    # Even a player-facing client allowed to ask for bets:settle gets a player token that may not settle.
    a.code_app.allowed_scopes = f"{PLAYER_SCOPES} bets:settle"
    a.code_app.save()
    greedy = a.player(alice, scope=f"{PLAYER_SCOPES} bets:settle")
    response = settle(api, bet["bet_id"], greedy, outcome="win", payout="1000000.00")
    assert response.status_code == 403 and error_code(response) == "permission_denied"

    assert (coins(alice), house_coins()) == before
    assert Bet.objects.get(public_id=bet["bet_id"]).status == "placed"


def test_a_client_token_cannot_pay_more_than_the_bet_declared(world, api):
    a, alice = world.a, world.alice
    bet = place(api, start(world, api, a.player(alice)), a.player(alice), amount="1.00", odds="2.00")
    assert bet["max_payout"] == "2.00"
    before = coins(alice), house_coins()

    response = settle(api, bet["bet_id"], a.cc(), outcome="win", payout="1000000000.00")
    assert response.status_code == 400 and error_code(response) == "invalid_payout"
    assert response.json()["error"]["details"] == {"payout": "1000000000.00", "max_payout": "2.00"}
    assert (coins(alice), house_coins()) == before
    assert not BetLimitFinding.objects.exists()

    paid = settle(api, bet["bet_id"], a.cc(), outcome="win", payout="2.00")
    assert paid.status_code == 200 and paid.json()["payout"] == "2.00"
    assert coins(alice) == before[0] + Decimal("2.00")


def test_settling_needs_the_bets_settle_scope_and_the_games_own_studio(world, api):
    a, b, alice = world.a, world.b, world.alice
    bet = place(api, start(world, api, a.player(alice)), a.player(alice), amount="1.00", odds="2.00")
    without_scope = settle(api, bet["bet_id"], a.cc(scope="sessions:write"), outcome="loss")
    assert without_scope.status_code == 403
    other_studio = settle(api, bet["bet_id"], b.cc(), outcome="win", payout="2.00")
    assert other_studio.status_code == 404 and error_code(other_studio) == "not_found"
    assert Bet.objects.get(public_id=bet["bet_id"]).status == "placed"


def test_a_bet_declares_its_odds_or_maximum_payout_within_the_games_cap(world, api):
    a, alice = world.a, world.alice
    token = a.player(alice)
    session_id = start(world, api, token)
    path = f"/api/v1/sessions/{session_id}/bets/"
    cases = [
        ({"amount": "1.00"}, 400, "validation_error"),
        ({"amount": "1.00", "odds": "2.00", "max_payout": "2.00"}, 400, "validation_error"),
        ({"amount": "1.00", "odds": "1.00"}, 400, "validation_error"),
        ({"amount": "1.00", "odds": "abc"}, 400, "validation_error"),
        ({"amount": "5.00", "max_payout": "4.00"}, 400, "validation_error"),
        ({"amount": "1.00", "max_payout": "100.01"}, 409, "payout_cap_exceeded"),
        ({"amount": "1.00", "odds": "2", "asset": "EUR"}, 409, "betting_not_enabled"),
        ({"amount": "1", "odds": "2", "asset": world.b.credit_type.asset.code}, 404, "not_found"),
        ({"amount": "1", "odds": "2", "asset": "LP"}, 404, "not_found"),
    ]
    for body, status, code in cases:
        response = api.post(path, body, token=token)
        assert (response.status_code, error_code(response)) == (status, code), (body, response.content)
    assert not Bet.objects.exists() and coins(alice) == Decimal("100.00")

    bet = place(api, session_id, token, amount="3.00", odds="3.3333")
    assert bet["max_payout"] == "9.99"  # stake x odds, rounded down to the asset's places


def test_a_payout_above_the_games_cap_is_refused_recorded_and_replayed(world, api):
    a, alice = world.a, world.alice
    bet = place(api, start(world, api, a.player(alice)), a.player(alice), amount="10.00", max_payout="50.00")
    # Staff lower the game's cap after the bet was taken.
    services.set_bet_limit(
        game=a.game, asset=BetLimit.objects.get(game=a.game).asset, max_payout_per_bet="20.00",
        exposure_limit="1000.00", exposure_period="day",
    )  # fmt: skip
    before = coins(alice), house_coins()

    refused = settle(api, bet["bet_id"], a.cc(), key="settle-1", outcome="win", payout="50.00")
    assert refused.status_code == 409 and error_code(refused) == "payout_cap_exceeded"
    assert refused.json()["error"]["details"] == {"payout": "50.00", "cap": "20.00"}
    finding = BetLimitFinding.objects.get()
    assert finding.reason == FindingReason.PER_BET_CAP and finding.requested_payout == Decimal("50.00")
    assert finding.bet.public_id.hex == bet["bet_id"].replace("-", "") and finding.application == a.cc_app

    replay = settle(api, bet["bet_id"], a.cc(), key="settle-1", outcome="win", payout="50.00")
    assert replay.status_code == 409 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == refused.json() and BetLimitFinding.objects.count() == 1
    assert (coins(alice), house_coins()) == before
    assert Bet.objects.get(public_id=bet["bet_id"]).status == "placed"

    within = settle(api, bet["bet_id"], a.cc(), outcome="win", payout="20.00")
    assert within.status_code == 200 and coins(alice) == before[0] + Decimal("20.00")


def test_the_house_exposure_limit_holds_for_the_day_and_resets_the_next(world, api):
    a, alice = world.a, world.alice
    fund(alice, "100.00")
    limit = BetLimit.objects.get(game=a.game)
    services.set_bet_limit(
        game=a.game, asset=limit.asset, max_payout_per_bet="100.00", exposure_limit="15.00", exposure_period="day"
    )
    start_of_day = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    with time_machine.travel(start_of_day, tick=False):
        a._tokens.clear()  # tokens live an hour: mint them on the travelled clock
        token = a.player(alice)
        session_id = start(world, api, token)
        first, second, third = (place(api, session_id, token, amount="10.00", odds="2.00") for _ in range(3))
        assert settle(api, first["bet_id"], a.cc(), outcome="win", payout="20.00").status_code == 200
        refused = settle(api, second["bet_id"], a.cc(), outcome="win", payout="20.00")
        assert refused.status_code == 409 and error_code(refused) == "exposure_limit_exceeded"
        assert refused.json()["error"]["details"]["exposure"] == "10.00"
        assert refused.json()["error"]["details"]["limit"] == "15.00"
        # A lost bet gives the house its stake back: room for a smaller win.
        assert settle(api, third["bet_id"], a.cc(), outcome="loss").status_code == 200
        assert BetExposure.objects.get(limit=limit).net_payout == Decimal("0.00")
        assert settle(api, second["bet_id"], a.cc(), outcome="win", payout="20.00").status_code == 200
        assert BetExposure.objects.get(limit=limit).net_payout == Decimal("10.00")
        fourth = place(api, session_id, token, amount="10.00", odds="2.00")
        assert settle(api, fourth["bet_id"], a.cc(), outcome="win", payout="20.00").status_code == 409
    finding = BetLimitFinding.objects.order_by("-id").first()
    assert finding.reason == FindingReason.EXPOSURE_LIMIT and finding.exposure_before == Decimal("10.00")
    with time_machine.travel(start_of_day + timedelta(days=1), tick=False):
        a._tokens.clear()
        assert settle(api, fourth["bet_id"], a.cc(), outcome="win", payout="20.00").status_code == 200
    assert BetExposure.objects.filter(limit=limit).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_wins_cannot_both_pass_the_exposure_limit(world):
    a, alice = world.a, world.alice
    limit = BetLimit.objects.get(game=a.game)
    services.set_bet_limit(
        game=a.game, asset=limit.asset, max_payout_per_bet="100.00", exposure_limit="15.00", exposure_period="day"
    )
    session = services.start_session(customer=alice, game=a.game, application=a.code_app)
    bets = [
        services.place_bet(session=session, amount="10.00", odds="2", idempotency_key=f"c{i}", application=a.code_app)
        for i in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def settle_in_thread(bet):
        try:
            barrier.wait()
            services.settle_bet(bet=bet, outcome="win", payout="20.00", application=a.cc_app)
            outcomes.append("paid")
        except Exception as exc:  # the refusal is the expected outcome of one thread
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=settle_in_thread, args=(bet,)) for bet in bets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["exposure_limit_exceeded", "paid"]
    assert BetExposure.objects.get(limit=limit).net_payout == Decimal("10.00")
    assert Bet.objects.filter(status="settled").count() == 1 and BetLimitFinding.objects.count() == 1
