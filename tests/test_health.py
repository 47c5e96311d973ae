"""/healthz reports the database, the cache and the broker; 503 names what is down."""

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import override_settings

from nodebyte_platform.celery import app as celery_app

# Nothing listens on port 1: connections are refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_url(monkeypatch):
    """Point the Celery app at another broker for one test (the app outlives settings overrides)."""

    def use(url: str) -> None:
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        monkeypatch.setitem(celery_app.conf, "broker_write_url", None)

    return use


@pytest.mark.django_db
def test_all_up(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    # Without REDIS_URL there is no broker (tasks run in-process); with it the real broker answers.
    assert body["checks"]["broker"] == ("ok" if settings.REDIS_URL else "in-process")
    assert "down" not in body
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_broker_down_is_named_and_answers_503(client, broker_url):
    broker_url(DEAD_REDIS)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["broker"]
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "down"}


@pytest.mark.django_db
def test_cache_down_is_named_and_answers_503(client):
    dead_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}}
    with override_settings(CACHES=dead_cache):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["cache"]
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_database_down_is_named_and_answers_503(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    # Breaking the real connection would also break the test's own transaction; refusing new cursors
    # is what a lost database looks like to the view.
    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["database"]
    assert body["checks"]["cache"] == "ok"


def test_only_get_is_allowed(client):
    assert client.post("/healthz").status_code == 405
