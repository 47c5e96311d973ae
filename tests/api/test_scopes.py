"""Every endpoint with real OAuth2 tokens: with the scope it needs, without it, and without a token."""

import pytest

from games import services
from tests.api.conftest import ALL_SCOPES, PLAYER_SCOPES, error_code

pytestmark = pytest.mark.django_db


def _without(scopes: str, scope: str) -> str:
    return " ".join(s for s in scopes.split() if s != scope)


@pytest.fixture
def objects(world):
    """A running session of alice in Alpha's game with one placed bet, and some of her Alpha credits."""
    a = world.a
    services.grant_credits(
        application=a.cc_app,
        customer=world.alice,
        credit_type=a.credit_type,
        amount=50,
        reason="setup",
        idempotency_key="setup-grant",
    )
    session = services.start_session(customer=world.alice, game=a.game, application=a.code_app)
    bet = services.place_bet(
        session=session, amount="1.00", odds="2.00", idempotency_key="setup-bet", application=a.code_app
    )
    return {"session": session, "bet": bet}


def endpoints(world, objects):
    a = world.a
    game = a.game.guid
    session = objects["session"].public_id
    bet = objects["bet"].public_id
    return [
        ("get", "/api/v1/games/", "catalog:read", "player", None, 200),
        ("get", f"/api/v1/games/{game}/", "catalog:read", "player", None, 200),
        ("get", "/api/v1/me/", "profile:read", "player", None, 200),
        ("get", "/api/v1/me/wallets/", "wallet:read", "player", None, 200),
        ("get", "/api/v1/me/transactions/", "wallet:read", "player", None, 200),
        ("get", "/api/v1/me/loyalty/", "loyalty:read", "player", None, 200),
        ("post", f"/api/v1/games/{game}/purchases/", "purchases:write", "player", {"package_id": a.package.pk}, 201),
        (
            "post",
            f"/api/v1/games/{game}/credits/spend/",
            "credits:spend",
            "player",
            {"credit_type": "gems", "amount": "5"},
            201,
        ),
        (
            "post",
            f"/api/v1/games/{game}/credits/grant/",
            "credits:grant",
            "cc",
            {"player_id": str(world.alice.player_id), "credit_type": "gems", "amount": "5", "reason": "prize"},
            201,
        ),
        ("post", "/api/v1/sessions/", "sessions:write", "player", {"game_id": str(game)}, 201),
        (
            "post",
            f"/api/v1/sessions/{session}/bets/",
            "sessions:write",
            "player",
            {"amount": "1.00", "odds": "2.00"},
            201,
        ),
        ("post", f"/api/v1/bets/{bet}/settle/", "bets:settle", "cc", {"outcome": "loss"}, 200),
        ("post", f"/api/v1/sessions/{session}/end/", "sessions:write", "player", {"result": "win"}, 200),
    ]


def _call(api, method, path, token, body):
    return api.get(path, token=token) if method == "get" else api.post(path, body, token=token)


def test_every_endpoint_with_and_without_its_scope(world, objects, api):
    a = world.a
    for method, path, scope, kind, body, ok in endpoints(world, objects):
        everything = ALL_SCOPES if kind == "cc" else PLAYER_SCOPES

        def token(scopes, kind=kind):
            return a.cc(scopes) if kind == "cc" else a.player(world.alice, scopes)

        missing = _call(api, method, path, token(_without(everything, scope)), body)
        assert missing.status_code == 403, (path, missing.content)
        assert error_code(missing) == "permission_denied"
        assert scope in missing.json()["error"]["message"]

        anonymous = _call(api, method, path, None, body)
        assert anonymous.status_code == 401, (path, anonymous.content)
        assert error_code(anonymous) == "not_authenticated"

        granted = _call(api, method, path, token(scope), body)
        assert granted.status_code == ok, (path, granted.content)


def test_player_endpoints_refuse_client_credentials_and_grant_refuses_player_tokens(world, objects, api):
    a = world.a
    cc = a.cc()
    for path in ["/api/v1/me/", "/api/v1/me/wallets/", "/api/v1/me/transactions/", "/api/v1/me/loyalty/"]:
        response = api.get(path, token=cc)
        assert response.status_code == 403 and error_code(response) == "permission_denied", path
    response = api.post(f"/api/v1/games/{a.game.guid}/purchases/", {"package_id": a.package.pk}, token=cc)
    assert response.status_code == 403
    grant = {"player_id": str(world.alice.player_id), "credit_type": "gems", "amount": "5", "reason": "x"}
    response = api.post(f"/api/v1/games/{a.game.guid}/credits/grant/", grant, token=a.player(world.alice))
    assert response.status_code == 403 and error_code(response) == "permission_denied"


def test_invalid_token_is_not_authenticated(world, api):
    response = api.get("/api/v1/games/", token="not-a-real-token")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
