"""Partner API answers that were 500s, HTML or leaks (issue 10, item 8): each is now a 4xx in the one error body."""

import base64
import json
import threading
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client, RequestFactory

from games.models import GameSession
from ledger.models import Asset, Transfer
from nodebyte_platform.http import server_error
from tests.api.conftest import PLAYER_SCOPES, error_code, fund, player_token

pytestmark = pytest.mark.django_db


def post_raw(api, path, body: str, token, key="raw"):
    return api.client.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY=key
    )


def assert_error_body(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert error_code(response) == code, response.content


def test_nul_and_lone_surrogates_in_json_are_refused_before_the_database(world, api):
    token = world.a.player(world.alice)
    game = str(world.a.game.guid)
    bodies = [
        json.dumps({"game_id": game, "metadata": {"note\u0000": "x"}}),
        json.dumps({"game_id": game, "metadata": {"note": "x\u0000y"}}),
        # Escapes json.dumps would never write: a lone surrogate as a value and as a key, a NUL.
        '{"game_id": "GAME", "metadata": {"note": "\\ud800"}}'.replace("GAME", game),
        '{"game_id": "GAME", "metadata": {"\\udfff": 1}}'.replace("GAME", game),
        '{"game_id": "GAME", "content_title": "\\u0000"}'.replace("GAME", game),
    ]
    for index, body in enumerate(bodies):
        assert_error_body(post_raw(api, "/api/v1/sessions/", body, token, key=f"k{index}"), 400, "validation_error")
    assert not GameSession.objects.exists()


def test_a_body_nested_100000_deep_is_a_400(world, api):
    token = world.a.player(world.alice)
    deep = "[" * 100_000 + "]" * 100_000
    assert_error_body(post_raw(api, "/api/v1/sessions/", deep, token), 400, "validation_error")
    nested = {"game_id": str(world.a.game.guid), "metadata": {}}
    level = nested["metadata"]
    for _ in range(40):
        level["x"] = {}
        level = level["x"]
    assert_error_body(post_raw(api, "/api/v1/sessions/", json.dumps(nested), token, key="n"), 400, "validation_error")


def test_crafted_cursors_and_page_sizes_are_400s(world, api):
    token = world.a.player(world.alice)
    crafted = [
        base64.b64encode(b"p=not-a-moment&r=0").decode(),
        base64.b64encode(b"o=-5").decode(),
        "%%%",
        base64.b64encode(b"p=2026-13-45T99:00:00").decode(),
    ]
    for cursor in crafted:
        response = api.get(f"/api/v1/me/transactions/?{urlencode({'cursor': cursor})}", token=token)
        assert_error_body(response, 400, "validation_error")
    for size in ("0", "201", "-1", "x"):
        assert_error_body(api.get("/api/v1/me/transactions/", token=token, page_size=size), 400, "validation_error")
    assert api.get("/api/v1/me/transactions/", token=token, page_size="200").status_code == 200


def test_unknown_routes_missing_slashes_and_big_bodies_answer_json(world, api, settings):
    token = world.a.player(world.alice)
    assert_error_body(api.get("/api/v1/nowhere/", token=token), 404, "not_found")
    assert_error_body(api.client.get("/o/nowhere/"), 404, "not_found")
    no_slash = post_raw(api, "/api/v1/sessions", json.dumps({"game_id": str(world.a.game.guid)}), token)
    assert_error_body(no_slash, 404, "not_found")
    assert no_slash.json()["error"]["details"] == {"did_you_mean": "/api/v1/sessions/"}
    assert not GameSession.objects.exists()

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    big = json.dumps({"game_id": str(world.a.game.guid), "metadata": {"x": "a" * 20_000}})
    assert_error_body(post_raw(api, "/api/v1/sessions/", big, token, key="big"), 413, "payload_too_large")
    assert not GameSession.objects.exists()
    # Outside the API, Django's own pages still answer.
    assert not api.client.get("/no-such-page/")["Content-Type"].startswith("application/json")


def test_a_server_error_under_the_api_is_json_too():
    response = server_error(RequestFactory().get("/api/v1/games/"))
    assert response.status_code == 500 and json.loads(response.content)["error"]["code"] == "server_error"


def test_partner_b_sees_none_of_studio_as_transfers_in_a_players_history(world, api):
    a, b, alice = world.a, world.b, world.alice
    bought = api.post(f"/api/v1/games/{a.game.guid}/purchases/", {"package_id": a.package.pk}, token=a.player(alice))
    assert bought.status_code == 201
    seen_by_b = api.get("/api/v1/me/transactions/", token=b.player(alice)).json()["results"]
    assert [entry["kind"] for entry in seen_by_b] == ["deposit"]  # the platform's own funding only
    assert all("Gems" not in entry["description"] for entry in seen_by_b)
    seen_by_a = api.get("/api/v1/me/transactions/", token=a.player(alice)).json()["results"]
    assert {(entry["kind"], entry["asset"]) for entry in seen_by_a} >= {
        ("purchase", "COIN"),
        ("purchase", a.credit_type.asset.code),
    }


def test_error_details_show_amounts_with_the_assets_places(world, api):
    token = world.a.player(world.bob)
    refused = api.post(
        "/api/v1/sessions/", {"game_id": str(world.a.game.guid), "price_per_minute": "500.00"}, token=token
    )
    assert_error_body(refused, 409, "insufficient_funds")
    assert refused.json()["error"]["details"] == {"asset": "COIN", "available": "100.00", "required": "500.00"}


def test_introspection_answers_only_about_the_callers_own_tokens(world, api):
    a, b = world.a, world.b
    alpha_token = a.cc()

    def introspect(app, token):
        basic = base64.b64encode(f"{app.client_id}:{app.raw_client_secret}".encode()).decode()
        return Client().post("/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=f"Basic {basic}")

    own = introspect(a.cc_app, alpha_token)
    assert own.status_code == 200 and own.json()["active"] is True and own.json()["client_id"] == a.cc_app.client_id
    sibling = introspect(a.code_app, alpha_token)  # the same partner's other application
    assert sibling.json()["active"] is True
    foreign = introspect(b.cc_app, alpha_token)
    assert foreign.status_code == 200 and foreign.json() == {"active": False}
    assert introspect(b.cc_app, "no-such-token").json() == {"active": False}
    anonymous = Client().post("/o/introspect/", {"token": alpha_token})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"


def refresh(app, refresh_token):
    return Client().post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app.client_id,
            "client_secret": app.raw_client_secret,
        },
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_refresh_token_both_answer_and_the_winner_stays_valid(world, api):
    a, alice = world.a, world.alice
    pair = player_token(a.code_app, alice, PLAYER_SCOPES, full=True)
    barrier = threading.Barrier(2)
    answers = []

    def refresh_in_thread():
        try:
            barrier.wait()
            response = refresh(a.code_app, pair["refresh_token"])
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in answers] == [200, 200], answers
    tokens = {body["access_token"] for _, body in answers}
    assert len(tokens) == 2  # each request got a pair of its own; the winner's stays valid
    for access_token in tokens:
        assert api.get("/api/v1/me/", token=access_token).status_code == 200
    assert api.get("/api/v1/me/", token=pair["access_token"]).status_code == 401


def test_a_refresh_token_replayed_after_the_grace_period_revokes_its_family(world, api, settings):
    import time_machine
    from django.utils import timezone

    a, alice = world.a, world.alice
    pair = player_token(a.code_app, alice, PLAYER_SCOPES, full=True)
    rotated = refresh(a.code_app, pair["refresh_token"])
    assert rotated.status_code == 200
    within_grace = refresh(a.code_app, pair["refresh_token"])  # a client retrying a lost answer
    assert within_grace.status_code == 200
    for answer in (rotated, within_grace):
        assert api.get("/api/v1/me/", token=answer.json()["access_token"]).status_code == 200
    grace = settings.OAUTH2_REFRESH_RETRY_GRACE_SECONDS
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=grace + 1)):
        replay = refresh(a.code_app, pair["refresh_token"])
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        # Reuse after the grace period means the old token leaked: the whole family is revoked.
        assert refresh(a.code_app, rotated.json()["refresh_token"]).status_code == 400


def test_the_schema_declares_the_bounds_the_server_enforces(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    transactions = schema["paths"]["/api/v1/me/transactions/"]["get"]["parameters"]
    page_size = next(p for p in transactions if p["name"] == "page_size")
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    purchase = schema["paths"]["/api/v1/games/{game_id}/purchases/"]["post"]["parameters"]
    key = next(p for p in purchase if p["name"] == "Idempotency-Key")
    assert key["required"] is True and key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
    settle = schema["paths"]["/api/v1/bets/{bet_id}/settle/"]["post"]
    assert settle["security"] and all(
        "bets:settle" in scopes for entry in settle["security"] for scopes in entry.values()
    )


# PostgreSQL only: SQLite (the demo's database) keeps decimals as binary floats, so 16-digit
# amounts do not even read back there.
@pytest.mark.postgres
def test_a_grant_or_payout_past_a_balances_range_is_a_4xx_and_writes_nothing(world, api):
    a, alice = world.a, world.alice
    grant = f"/api/v1/games/{a.game.guid}/credits/grant/"
    body = {"player_id": str(alice.player_id), "credit_type": "gems", "amount": "9999999999999999", "reason": "x"}
    assert api.post(grant, body, token=a.cc()).status_code == 201
    again = api.post(grant, body, token=a.cc())
    assert again.status_code == 409 and error_code(again) == "balance_out_of_range", again.content
    assert Transfer.objects.filter(kind="grant").count() == 1

    from games.services import set_bet_limit

    set_bet_limit(
        game=a.game,
        asset=Asset.objects.get(code="COIN"),
        max_payout_per_bet="9999999999999999.00",
        exposure_limit="9999999999999999.00",
        exposure_period="day",
    )
    token = a.player(alice)
    session = api.post("/api/v1/sessions/", {"game_id": str(a.game.guid)}, token=token).json()["session_id"]
    fund(alice, "9999999999999000.00")
    bet = api.post(
        f"/api/v1/sessions/{session}/bets/", {"amount": "1.00", "max_payout": "9999999999999999.00"}, token=token
    ).json()
    paid = api.post(f"/api/v1/bets/{bet['bet_id']}/settle/", {"outcome": "win", "payout": "9999.00"}, token=a.cc())
    assert paid.status_code == 409 and error_code(paid) == "balance_out_of_range", paid.content
    assert paid.json()["error"]["details"]["amount"] == "9999.00"
    assert not Transfer.objects.filter(kind="win").exists()
