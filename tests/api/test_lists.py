"""Lists: cursor pagination, filters, flat query counts; throttling per application; concurrency."""

import threading
import time
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ledger.models import Wallet
from tests.api.conftest import error_code, fund
from tests.caching import clear_cache

pytestmark = pytest.mark.django_db


def _buy(world, api, token, times):
    for _ in range(times):
        response = api.post(
            f"/api/v1/games/{world.a.game.guid}/purchases/", {"package_id": world.a.package.pk}, token=token
        )
        assert response.status_code == 201


def test_transactions_are_cursor_paginated_and_filterable(world, api):
    token = world.a.player(world.alice)
    _buy(world, api, token, 3)
    page = api.get("/api/v1/me/transactions/", token=token, page_size=4).json()
    assert len(page["results"]) == 4 and page["next"] and page["previous"] is None
    rest = api.client.get(page["next"], HTTP_AUTHORIZATION=f"Bearer {token}").json()
    seen = [t["transaction_id"] + t["asset"] for t in page["results"] + rest["results"]]
    assert len(seen) == len(set(seen)) == 7  # the funding deposit + 3 purchases of two legs each
    coins = api.get("/api/v1/me/transactions/", token=token, asset="COIN", kind="purchase").json()["results"]
    assert len(coins) == 3 and {t["amount"] for t in coins} == {"-10.00"}
    assert [t["balance_after"] for t in coins] == ["70.00", "80.00", "90.00"]
    future = api.get("/api/v1/me/transactions/", token=token, created_after="2999-01-01T00:00:00Z").json()
    assert future["results"] == []
    bad = api.get("/api/v1/me/transactions/", token=token, kind="nope")
    assert bad.status_code == 400 and error_code(bad) == "validation_error"


def _count(api, method, *args, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(api, method)(*args, **kwargs)
    assert response.status_code in (200, 201), response.content
    return len(queries)


def test_query_counts_do_not_grow_with_history(world, api, django_assert_max_num_queries):
    token = world.a.player(world.alice)
    purchase = f"/api/v1/games/{world.a.game.guid}/purchases/"
    body = {"package_id": world.a.package.pk}
    _buy(world, api, token, 1)
    before = {
        "wallets": _count(api, "get", "/api/v1/me/wallets/", token=token),
        "transactions": _count(api, "get", "/api/v1/me/transactions/", token=token),
        "purchase": _count(api, "post", purchase, body, token=token),
        "games": _count(api, "get", "/api/v1/games/", token=token),
    }
    _buy(world, api, token, 6)
    after = {
        "wallets": _count(api, "get", "/api/v1/me/wallets/", token=token),
        "transactions": _count(api, "get", "/api/v1/me/transactions/", token=token),
        "purchase": _count(api, "post", purchase, body, token=token),
        "games": _count(api, "get", "/api/v1/games/", token=token),
    }
    assert before == after
    with django_assert_max_num_queries(6):
        api.get("/api/v1/me/wallets/", token=token)
    with django_assert_max_num_queries(26):
        api.post(purchase, body, token=token)


def test_throttling_is_per_application(world, api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"application": "3/min"}}
    token = world.a.player(world.alice)
    for _ in range(3):
        assert api.get("/api/v1/me/wallets/", token=token).status_code == 200
    throttled = api.get("/api/v1/me/wallets/", token=token)
    assert throttled.status_code == 429 and error_code(throttled) == "throttled"
    assert int(throttled["Retry-After"]) > 0
    # Another application has its own budget.
    assert api.get("/api/v1/me/wallets/", token=world.b.player(world.alice)).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_purchases_by_one_player_never_overdraw(world):
    token = world.a.player(world.alice)
    fund(world.alice, "5.00")  # 105.00 coins: 10 purchases of 10.00 fit, the 11th does not
    path = f"/api/v1/games/{world.a.game.guid}/purchases/"
    statuses = []
    barrier = threading.Barrier(16)

    def buy():
        try:
            barrier.wait()
            response = Client().post(
                path,
                {"package_id": world.a.package.pk},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 10 + [409] * 6
    coin = Wallet.objects.get(owner=world.alice.user, asset__code="COIN")
    credits = Wallet.objects.get(owner=world.alice.user, asset=world.a.credit_type.asset)
    assert coin.balance == Decimal("5.00") and credits.balance == 1000


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_of_one_key_post_once(world):
    token = world.a.player(world.alice)
    path = f"/api/v1/games/{world.a.game.guid}/purchases/"
    bodies = []
    barrier = threading.Barrier(6)

    def buy():
        try:
            barrier.wait()
            response = Client().post(
                path,
                {"package_id": world.a.package.pk},
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY="same-key",
            )
            bodies.append((response.status_code, response.json()["transaction_id"]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(bodies)) == 1 and bodies[0][0] == 201
    assert Wallet.objects.get(owner=world.alice.user, asset__code="COIN").balance == Decimal("90.00")


def _redis_url():
    import os

    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return None
    return url


@pytest.mark.redis
def test_throttling_counts_in_redis_when_configured(world, api, settings):
    url = _redis_url()
    if url is None:
        pytest.skip("no Redis reachable")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": settings.CACHES["default"].get("KEY_PREFIX", ""),
        }
    }
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"application": "2/min"}}
    from django.core.cache import cache

    token = world.a.player(world.alice)
    clear_cache()
    # The window is a fixed minute: start the three requests just after one opens, so they share it.
    next_minute = (int(time.time()) // 60 + 1) * 60 + 1
    try:
        with time_machine.travel(next_minute, tick=True):
            assert [api.get("/api/v1/me/wallets/", token=token).status_code for _ in range(3)] == [200, 200, 429]
        keys = cache._cache.get_client(None).keys("*throttle_application_app*")
        assert keys and cache._cache.get_client(None).ttl(keys[0]) > 0
    finally:
        clear_cache()
