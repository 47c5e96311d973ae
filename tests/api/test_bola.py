"""Broken object-level authorization: two partners, two players; nobody reaches another's objects."""

import pytest

from games import services
from ledger.models import Transfer
from tests.api.conftest import error_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_objects(world):
    a = world.a
    services.grant_credits(
        application=a.cc_app,
        customer=world.alice,
        credit_type=a.credit_type,
        amount=50,
        reason="setup",
        idempotency_key="bola-grant",
    )
    session = services.start_session(customer=world.alice, game=a.game, application=a.code_app)
    bet = services.place_bet(
        session=session, amount="1.00", odds="2.00", idempotency_key="bola-bet", application=a.code_app
    )
    return {"session": session, "bet": bet}


def _foreign_tokens(world):
    """Tokens that must not reach Alpha's game nor alice's session and bet in it."""
    return {
        "beta partner": world.b.cc(),
        "beta for alice": world.b.player(world.alice),
        "beta for bob": world.b.player(world.bob),
        "alpha for bob": world.a.player(world.bob),
    }


def test_foreign_tokens_get_404_on_alices_session_and_bet(world, alice_objects, api):
    session, bet = alice_objects["session"], alice_objects["bet"]
    for who, token in _foreign_tokens(world).items():
        for path, body in [
            (f"/api/v1/sessions/{session.public_id}/end/", {}),
            (f"/api/v1/sessions/{session.public_id}/bets/", {"amount": "1.00"}),
            (f"/api/v1/bets/{bet.public_id}/settle/", {"outcome": "win", "payout": "100.00"}),
        ]:
            response = api.post(path, body, token=token)
            assert response.status_code in (403, 404), (who, path, response.content)
            assert str(session.public_id) not in response.content.decode()
    assert bet.__class__.objects.get(pk=bet.pk).status == "placed"
    assert session.__class__.objects.get(pk=session.pk).status == "in_progress"


def test_other_studio_cannot_see_or_use_alphas_game(world, alice_objects, api):
    game = world.a.game.guid
    for who, token in _foreign_tokens(world).items():
        if who == "alpha for bob":
            continue
        assert api.get(f"/api/v1/games/{game}/", token=token).status_code == 404, who
        listing = api.get("/api/v1/games/", token=token)
        assert listing.status_code == 200
        assert str(game) not in listing.content.decode()
        if who == "beta partner":
            body = {"player_id": str(world.alice.player_id), "credit_type": "gems", "amount": "5", "reason": "x"}
            response = api.post(f"/api/v1/games/{game}/credits/grant/", body, token=token)
        else:
            response = api.post(f"/api/v1/games/{game}/purchases/", {"package_id": world.a.package.pk}, token=token)
        assert response.status_code == 404, (who, response.content)
        assert error_code(response) == "not_found"
    # Beta's own package id under Alpha's game is not found either.
    token = world.b.player(world.bob)
    response = api.post(
        f"/api/v1/games/{world.b.game.guid}/purchases/", {"package_id": world.a.package.pk}, token=token
    )
    assert response.status_code == 404


def test_player_views_show_only_the_tokens_player_and_studio(world, alice_objects, api):
    alpha_credit = world.a.credit_type.asset.code
    # Alice through Beta's app: her coins, but not Alpha's credits.
    beta_alice = api.get("/api/v1/me/wallets/", token=world.b.player(world.alice)).json()
    assert {w["asset"] for w in beta_alice} == {"COIN"}
    history = api.get("/api/v1/me/transactions/", token=world.b.player(world.alice)).json()["results"]
    assert history and all(t["asset"] != alpha_credit for t in history)
    # Bob through Alpha's app sees only bob.
    me = api.get("/api/v1/me/", token=world.a.player(world.bob)).json()
    assert me["player_id"] == str(world.bob.player_id)
    bob_wallets = api.get("/api/v1/me/wallets/", token=world.a.player(world.bob)).json()
    assert bob_wallets == [{"asset": "COIN", "kind": "platform", "label": "GCoin", "precision": 2, "balance": "100.00"}]
    bob_history = api.get("/api/v1/me/transactions/", token=world.a.player(world.bob)).json()["results"]
    alice_transfers = {
        str(t)
        for t in Transfer.objects.filter(postings__wallet__owner=world.alice.user).values_list("public_id", flat=True)
    }
    assert bob_history and not alice_transfers & {t["transaction_id"] for t in bob_history}
    # Alice through Alpha sees her Alpha credits.
    alpha_alice = api.get("/api/v1/me/wallets/", token=world.a.player(world.alice)).json()
    assert {w["asset"] for w in alpha_alice} == {"COIN", alpha_credit}


def test_idempotency_keys_do_not_leak_between_players(world, api):
    """The same key from two players of one app is a conflict, never the other player's response."""
    a = world.a
    path = f"/api/v1/games/{a.game.guid}/purchases/"
    first = api.post(path, {"package_id": a.package.pk}, token=a.player(world.alice), key="shared-key")
    assert first.status_code == 201
    second = api.post(path, {"package_id": a.package.pk}, token=a.player(world.bob), key="shared-key")
    assert second.status_code == 409 and error_code(second) == "idempotency_conflict"
    assert str(world.alice.player_id) not in second.content.decode()
