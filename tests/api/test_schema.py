"""The OpenAPI schema holds: valid per spectacular, and schemathesis finds no 5xx and no response off-schema.

Schemathesis generates requests for every operation from /api/schema/ and sends them through the
WSGI app with real tokens (client credentials for the grant, a player token elsewhere). Path ids
are pointed at real objects half of the time, so validation and business errors are reached, not
only 404s.
"""

import uuid
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from games import services

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@contextmanager
def keep_test_connection():
    """As Django's test client does: a request must not close the connection holding the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def live(world):
    a = world.a
    services.grant_credits(
        application=a.cc_app,
        customer=world.alice,
        credit_type=a.credit_type,
        amount=500,
        reason="setup",
        idempotency_key="schema-grant",
    )
    session = services.start_session(customer=world.alice, game=a.game, application=a.code_app)
    bet = services.place_bet(
        session=session, amount="1.00", odds="2.00", idempotency_key="schema-bet", application=a.code_app
    )
    return {
        "game_id": str(a.game.guid),
        "session_id": str(session.public_id),
        "bet_id": str(bet.public_id),
        "player": a.player(world.alice),
        "cc": a.cc(),
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, live):
    for name in ("game_id", "session_id", "bet_id"):
        if case.path_parameters and name in case.path_parameters and uuid.uuid4().int % 2:
            case.path_parameters[name] = live[name]
    # A generated Host header only meets Django's ALLOWED_HOSTS check (an HTML 400 before any API code).
    case.headers = {name: value for name, value in (case.headers or {}).items() if name.lower() != "host"}
    # Granting credits and settling bets belong to the game's server; everything else acts for a player.
    token = live["cc"] if case.path.endswith(("/credits/grant/", "/settle/")) else live["player"]
    headers = {"Authorization": f"Bearer {token}"}
    if case.method.upper() == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    with keep_test_connection():
        case.call_and_validate(
            headers=headers,
            checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
        )


def test_spectacular_validate_is_clean(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "oauth2" in text and "clientCredentials" in text and "authorizationCode" in text


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
