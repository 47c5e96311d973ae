"""Access tokens kept per process: no query for a token seen before, and never kept past a revocation."""

import base64
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import archive_customer
from tests.api.conftest import error_code

pytestmark = pytest.mark.django_db


def test_a_token_seen_before_costs_no_query(world, api):
    token = world.a.player(world.alice)
    assert api.get("/api/v1/me/wallets/", token=token).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/me/wallets/", token=token)
    assert response.status_code == 200
    tables = [re.search(r"FROM\s+\"?(\w+)", q["sql"]).group(1) for q in queries.captured_queries]
    assert tables == ["ledger_wallet"]


def test_a_revoked_token_is_refused_at_once(world, api, django_capture_on_commit_callbacks):
    a = world.a
    token = a.cc()
    assert api.get("/api/v1/games/", token=token).status_code == 200  # now kept
    basic = base64.b64encode(f"{a.cc_app.client_id}:{a.cc_app.raw_client_secret}".encode()).decode()
    revoked = Client().post("/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert revoked.status_code == 200
    response = api.get("/api/v1/games/", token=token)
    assert response.status_code == 401 and error_code(response) == "not_authenticated"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_an_archived_players_token_is_refused_at_once(world, api, django_capture_on_commit_callbacks):
    token = world.a.player(world.alice)
    assert api.get("/api/v1/me/", token=token).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        archive_customer(customer=world.alice)
    assert api.get("/api/v1/me/", token=token).status_code == 401


def test_tokens_in_the_query_string_are_never_read(world, api):
    token = world.a.player(world.alice)
    response = api.client.get(f"/api/v1/me/?access_token={token}")
    assert response.status_code == 401
