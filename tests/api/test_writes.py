"""Money-moving endpoints: idempotency, mass assignment, errors, funds, sessions and bets over HTTP."""

from decimal import Decimal

import pytest

from games.models import Bet, GameSession
from ledger.models import Asset, Transfer, Wallet
from nodebyte_platform.models import ApiIdempotencyRecord
from tests.api.conftest import error_code, fund

pytestmark = pytest.mark.django_db


def coin_balance(customer) -> Decimal:
    return Wallet.objects.get(owner=customer.user, asset__code="COIN").balance


def credit_balance(customer, credit_type) -> Decimal:
    wallet = Wallet.objects.filter(owner=customer.user, asset=credit_type.asset).first()
    return wallet.balance if wallet else Decimal(0)


def purchase_path(world):
    return f"/api/v1/games/{world.a.game.guid}/purchases/"


def test_purchase_moves_coins_and_credits_in_one_transfer(world, api):
    response = api.post(purchase_path(world), {"package_id": world.a.package.pk}, token=world.a.player(world.alice))
    assert response.status_code == 201
    body = response.json()
    assert body["coins_spent"] == "10.00" and body["credits_received"] == "100"
    assert body["coin_balance"] == "90.00" and body["credit_balance"] == "100"
    transfer = Transfer.objects.get(public_id=body["transaction_id"])
    assert transfer.kind == "purchase"
    assert {p.wallet.asset.code for p in transfer.postings.all()} == {"COIN", world.a.credit_type.asset.code}
    assert transfer.initiator == f"app:{world.a.code_app.pk}" and transfer.application == world.a.code_app


def test_idempotent_replay_and_conflict(world, api):
    token = world.a.player(world.alice)
    first = api.post(purchase_path(world), {"package_id": world.a.package.pk}, token=token, key="buy-1")
    replay = api.post(purchase_path(world), {"package_id": world.a.package.pk}, token=token, key="buy-1")
    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert coin_balance(world.alice) == Decimal("90.00")
    assert Transfer.objects.filter(kind="purchase").count() == 1
    # One mechanism: the API's record holds the key; the ledger transfer needs none of its own.
    record = ApiIdempotencyRecord.objects.get(key="buy-1")
    assert record.application == world.a.code_app and record.status_code == 201
    assert Transfer.objects.get(kind="purchase").idempotency_key is None

    conflict = api.post(purchase_path(world), {"package_id": world.a.package.pk + 999}, token=token, key="buy-1")
    assert conflict.status_code == 409 and error_code(conflict) == "idempotency_conflict"
    other_endpoint = api.post(
        f"/api/v1/games/{world.a.game.guid}/credits/spend/",
        {"credit_type": "gems", "amount": "1"},
        token=token,
        key="buy-1",
    )
    assert other_endpoint.status_code == 409


def test_every_post_requires_an_idempotency_key(world, api):
    token = world.a.player(world.alice)
    response = api.post(purchase_path(world), {"package_id": world.a.package.pk}, token=token, key=None)
    assert response.status_code == 400 and error_code(response) == "idempotency_key_required"
    response = api.post("/api/v1/sessions/", {"game_id": str(world.a.game.guid)}, token=token, key=None)
    assert response.status_code == 400
    assert coin_balance(world.alice) == Decimal("100.00") and not GameSession.objects.exists()


def test_insufficient_funds_is_409_and_the_key_can_be_retried(world, api):
    poor = world.bob
    token = world.a.player(poor)
    api.post(f"/api/v1/games/{world.a.game.guid}/credits/spend/", {"credit_type": "gems", "amount": "1"}, token=token)
    for _ in range(10):
        assert api.post(purchase_path(world), {"package_id": world.a.package.pk}, token=token).status_code == 201
    refused = api.post(purchase_path(world), {"package_id": world.a.package.pk}, token=token, key="retry-me")
    assert refused.status_code == 409 and error_code(refused) == "insufficient_funds"
    assert refused.json()["error"]["details"]["asset"] == "COIN"
    assert coin_balance(poor) == 0
    fund(poor, "10.00")
    retried = api.post(purchase_path(world), {"package_id": world.a.package.pk}, token=token, key="retry-me")
    assert retried.status_code == 201


def test_mass_assignment_changes_nothing(world, api):
    a, alice, bob = world.a, world.alice, world.bob
    token = a.player(alice)
    extra = {
        "balance": "1000000.00",
        "status": "completed",
        "player": str(bob.player_id),
        "player_id": str(bob.player_id),
        "studio": world.b.studio.pk,
        "customer": bob.pk,
        "coins_spent": "0.00",
        "gcoin_value": "0.01",
    }
    response = api.post(purchase_path(world), {"package_id": a.package.pk, **extra}, token=token)
    assert response.status_code == 201
    assert coin_balance(alice) == Decimal("90.00") and coin_balance(bob) == Decimal("100.00")

    response = api.post(
        "/api/v1/sessions/", {"game_id": str(a.game.guid), **extra, "reserved_amount": "0"}, token=token
    )
    assert response.status_code == 201
    session = GameSession.objects.get(public_id=response.json()["session_id"])
    assert session.customer == alice and session.status == "in_progress" and session.game == a.game

    response = api.post(
        f"/api/v1/sessions/{session.public_id}/bets/", {"amount": "2.00", "odds": "2.00", **extra}, token=token
    )
    assert response.status_code == 201
    bet = Bet.objects.get(public_id=response.json()["bet_id"])
    assert bet.amount == Decimal("2.00") and bet.status == "placed"

    settle = {"outcome": "loss", **extra, "payout": "0", "amount": "1000", "max_payout": "1000"}
    response = api.post(f"/api/v1/bets/{bet.public_id}/settle/", settle, token=a.cc())
    assert response.status_code == 200
    bet = Bet.objects.get(pk=bet.pk)
    assert bet.payout == 0 and bet.amount == Decimal("2.00")

    grant = {"player_id": str(bob.player_id), "credit_type": "gems", "amount": "7", "reason": "x", "balance": "99"}
    response = api.post(f"/api/v1/games/{a.game.guid}/credits/grant/", grant, token=a.cc())
    assert response.status_code == 201
    assert credit_balance(bob, a.credit_type) == 7 and credit_balance(alice, a.credit_type) == 100


def test_bad_input_answers_stable_codes_never_500(world, api):
    a = world.a
    token = a.player(world.alice)
    spend = f"/api/v1/games/{a.game.guid}/credits/spend/"
    cases = [
        (spend, {"credit_type": "gems", "amount": "1.5"}, 400, "invalid_amount"),
        (spend, {"credit_type": "gems", "amount": "abc"}, 400, "validation_error"),
        (spend, {"credit_type": "gems", "amount": 1.5}, 400, "validation_error"),
        (spend, {"credit_type": "nope", "amount": "1"}, 404, "not_found"),
        (spend, {"credit_type": "gems", "amount": "5"}, 409, "insufficient_funds"),
        (spend, ["not", "an", "object"], 400, "validation_error"),
        (purchase_path(world), {"package_id": "x"}, 400, "validation_error"),
        ("/api/v1/games/not-a-uuid/purchases/", {"package_id": 1}, 404, "not_found"),
        ("/api/v1/sessions/", {"game_id": str(a.game.guid), "price_per_minute": "0.001"}, 400, "invalid_amount"),
        ("/api/v1/sessions/", {"game_id": str(a.game.guid), "price_per_minute": "1", "asset": "LP"}, 404, "not_found"),
        (
            "/api/v1/sessions/",
            {"game_id": str(a.game.guid), "price_per_minute": "1", "asset": world.b.credit_type.asset.code},
            404,
            "not_found",
        ),
    ]
    for path, body, status, code in cases:
        response = api.post(path, body, token=token)
        assert response.status_code == status, (body, response.content)
        assert error_code(response) == code, (body, response.content)
        assert set(response.json()["error"]) == {"code", "message", "details"}
    malformed = api.client.post(
        spend,
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY="malformed",
    )
    assert malformed.status_code == 400 and error_code(malformed) == "validation_error"


def test_metered_session_and_bets_over_http(world, api, settings):
    settings.GAMES_SESSION_RESERVE_MINUTES = 5
    a, alice = world.a, world.alice
    token = a.player(alice)
    body = {"game_id": str(a.game.guid), "price_per_minute": "0.50"}
    started = api.post("/api/v1/sessions/", body, token=token)
    assert started.status_code == 201
    assert started.json()["reserved_amount"] == "2.50" and started.json()["metered"] is True
    assert coin_balance(alice) == Decimal("97.50")
    session_id = started.json()["session_id"]

    bet = api.post(
        f"/api/v1/sessions/{session_id}/bets/", {"amount": "5.00", "choice": "red", "odds": "2.00"}, token=token
    )
    assert bet.status_code == 201 and coin_balance(alice) == Decimal("92.50")
    assert bet.json()["max_payout"] == "10.00" and bet.json()["odds"] == "2.0000"
    bet_id = bet.json()["bet_id"]
    win = api.post(f"/api/v1/bets/{bet_id}/settle/", {"outcome": "win", "payout": "10.00"}, token=a.cc())
    assert win.status_code == 200 and win.json()["payout"] == "10.00"
    assert coin_balance(alice) == Decimal("102.50")
    again = api.post(f"/api/v1/bets/{bet_id}/settle/", {"outcome": "win", "payout": "10.00"}, token=a.cc())
    assert again.status_code == 409 and error_code(again) == "already_settled"
    assert coin_balance(alice) == Decimal("102.50")

    ended = api.post(f"/api/v1/sessions/{session_id}/end/", {"result": "win"}, token=token)
    assert ended.status_code == 200
    assert ended.json()["status"] == "completed" and ended.json()["total_cost"] == "0.50"
    assert coin_balance(alice) == Decimal("104.50")  # 2.50 held, 0.50 charged for the started minute
    twice = api.post(f"/api/v1/sessions/{session_id}/end/", {}, token=token)
    assert twice.status_code == 409 and error_code(twice) == "invalid_state"
    assert Asset.objects.get(code="COIN")


def test_metered_session_without_funds_is_refused_whole(world, api):
    token = world.a.player(world.alice)
    response = api.post(
        "/api/v1/sessions/", {"game_id": str(world.a.game.guid), "price_per_minute": "500"}, token=token
    )
    assert response.status_code == 409 and error_code(response) == "insufficient_funds"
    assert not GameSession.objects.exists()
