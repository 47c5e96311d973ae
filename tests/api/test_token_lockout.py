"""The token endpoint's lockout, over real requests to /o/token/: wrong client secrets lock the
(client_id, client address) pair and nothing wider, and the lockout answers as OAuth 2.0 does
(RFC 6749 section 5.2 error body), never with the portal's HTML lockout page.
"""

import base64
import uuid

import pytest
from django.test import Client

from tests.factories.accounts import PartnerApplicationFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/o/token/"
PROXY = "10.0.0.2"


def unique_address() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{max(raw[2], 1)}"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(client_id, secret, ip, **headers):
    return Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(client_id, secret),
        REMOTE_ADDR=ip,
        **headers,
    )


def assert_oauth_lockout(response, settings):
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == "invalid_client"
    assert "too many" in body["error_description"].lower()
    assert int(response["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert response["Cache-Control"] == "no-store"


def test_a_locked_pair_answers_an_oauth_json_error_and_the_partner_elsewhere_gets_tokens(settings):
    app = PartnerApplicationFactory()
    attacker = unique_address()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = token_request(app.client_id, "wrong", attacker)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
    # The failure that reaches the limit is answered with the lockout already.
    assert_oauth_lockout(token_request(app.client_id, "wrong", attacker), settings)
    # The right secret is refused from the locked address during the cool-off.
    assert_oauth_lockout(token_request(app.client_id, app.raw_client_secret, attacker), settings)

    # The partner's own servers are unaffected.
    response = token_request(app.client_id, app.raw_client_secret, unique_address())
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_secrets_in_the_body_count_under_the_same_pair(settings):
    app = PartnerApplicationFactory()
    attacker = unique_address()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            TOKEN_URL,
            {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": "wrong"},
            REMOTE_ADDR=attacker,
        )
    assert_oauth_lockout(token_request(app.client_id, app.raw_client_secret, attacker), settings)
    assert token_request(app.client_id, app.raw_client_secret, unique_address()).status_code == 200


def test_failures_for_unknown_client_ids_never_lock_a_real_partner(settings):
    app = PartnerApplicationFactory()
    shared = unique_address()
    for i in range(3 * settings.AXES_FAILURE_LIMIT):
        junk = f"junk-{uuid.uuid4().hex}" if i % 2 else "junk-repeated"
        assert token_request(junk, "guess", shared).status_code in (401, 429)
    assert token_request(app.client_id, app.raw_client_secret, shared).status_code == 200


def test_behind_the_configured_proxy_the_pair_is_the_forwarded_client_address(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    app = PartnerApplicationFactory()
    attacker, partner = unique_address(), unique_address()

    def via_proxy(secret, forwarded_for):
        return token_request(app.client_id, secret, PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        via_proxy("wrong", attacker)
    assert_oauth_lockout(via_proxy(app.raw_client_secret, attacker), settings)
    # An entry the attacker put in X-Forwarded-For itself does not move it off its own lock.
    assert_oauth_lockout(via_proxy(app.raw_client_secret, f"{partner}, {attacker}"), settings)

    # The partner's servers reach the app through the same proxy and still get tokens.
    response = via_proxy(app.raw_client_secret, partner)
    assert response.status_code == 200
    assert response.json()["access_token"]
