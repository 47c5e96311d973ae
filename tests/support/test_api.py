"""/api/v1/webhooks/endpoints/ with real OAuth2 tokens: scope webhooks:manage, client credentials
only, an application reaches only its own endpoints; the secret is read from /secret/."""

import pytest

from support.models import WebhookDelivery, WebhookEndpoint
from tests.api.conftest import ALL_SCOPES, client_credentials_token, error_code
from tests.factories.accounts import PartnerApplicationFactory, PartnerFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks/endpoints/"


@pytest.fixture
def app_token():
    def make():
        application = PartnerApplicationFactory(
            partner=PartnerFactory(), allowed_scopes=f"{ALL_SCOPES} webhooks:manage"
        )
        return application, client_credentials_token(application, "webhooks:manage")

    return make


def test_register_list_read_secret_rotate_and_delete(api, app_token):
    application, token = app_token()
    created = api.post(
        BASE, {"url": "https://hooks.partner.example/in", "event_types": ["payment.completed"]}, token=token
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert "secret" not in body and body["event_types"] == ["payment.completed"]
    endpoint_id = body["endpoint_id"]

    assert [e["endpoint_id"] for e in api.get(BASE, token=token).json()] == [endpoint_id]
    secret = api.get(f"{BASE}{endpoint_id}/secret/", token=token).json()["secret"]
    assert secret.startswith("whsec_")

    rotated = api.post(f"{BASE}{endpoint_id}/rotate-secret/", token=token)
    assert rotated.status_code == 200 and rotated.json()["previous_secret_expires_at"]
    assert api.get(f"{BASE}{endpoint_id}/secret/", token=token).json()["secret"] != secret

    assert api.client.delete(f"{BASE}{endpoint_id}/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 204
    assert not WebhookEndpoint.objects.filter(application=application).exists()


def test_bad_input_gets_a_stable_code_and_writes_nothing(api, app_token):
    _application, token = app_token()
    unknown = api.post(BASE, {"url": "https://hooks.partner.example/in", "event_types": ["nope"]}, token=token)
    assert unknown.status_code == 400 and error_code(unknown) == "validation_error"
    missing = api.post(BASE, {"event_types": ["payment.completed"]}, token=token)
    assert missing.status_code == 400 and error_code(missing) == "validation_error"
    assert not WebhookEndpoint.objects.exists()


def test_an_application_reaches_only_its_own_endpoints(api, app_token):
    _mine, token = app_token()
    theirs, their_token = app_token()
    endpoint_id = api.post(
        BASE, {"url": "https://hooks.other.example/in", "event_types": ["bet.settled"]}, token=their_token
    ).json()["endpoint_id"]
    assert api.get(f"{BASE}{endpoint_id}/", token=token).status_code == 404
    assert api.get(f"{BASE}{endpoint_id}/secret/", token=token).status_code == 404
    assert api.get(BASE, token=token).json() == []


def test_the_scope_is_required(api, world):
    token = world.a.cc("catalog:read")
    response = api.get(BASE, token=token)
    assert response.status_code == 403


def test_a_partner_replays_a_delivery(api, app_token, django_capture_on_commit_callbacks, httpserver):
    application, token = app_token()
    endpoint_id = api.post(
        BASE, {"url": httpserver.url_for("/in"), "event_types": ["payment.completed"]}, token=token
    ).json()["endpoint_id"]
    httpserver.expect_request("/in").respond_with_data("", status=200)
    endpoint = WebhookEndpoint.objects.get(public_id=endpoint_id)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="payment.completed",
        dedupe_key="x",
        payload={"type": "payment.completed"},
        message_id="msg_1",
        status="failed",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{BASE}{endpoint_id}/deliveries/{delivery.pk}/replay/", token=token)
    assert response.status_code == 202, response.content
    listed = api.get(f"{BASE}{endpoint_id}/deliveries/", token=token).json()
    assert [d["status"] for d in listed] == ["delivered", "failed"]
    assert listed[0]["webhook_id"] == "msg_1"
