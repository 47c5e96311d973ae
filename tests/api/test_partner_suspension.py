"""A suspended or inactive partner gets no token, and its tokens already issued answer 403 (issue 12, item 5)."""

import base64

import pytest
from django.test import Client

from accounts.models import PartnerStatus
from accounts.services import update_partner
from tests.api.conftest import error_code

pytestmark = pytest.mark.django_db


def set_status(partner, status):
    update_partner(
        partner=partner,
        name=partner.name,
        kind=partner.kind,
        studio=partner.studio,
        user=partner.user,
        type=partner.type,
        description=partner.description,
        status=status,
    )


def token_request(app):
    basic = base64.b64encode(f"{app.client_id}:{app.raw_client_secret}".encode()).decode()
    return Client().post(
        "/o/token/", {"grant_type": "client_credentials", "scope": "catalog:read"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    )


@pytest.mark.parametrize("status", [PartnerStatus.SUSPENDED, PartnerStatus.INACTIVE])
def test_a_suspended_partner_gets_no_token_and_its_tokens_answer_403(
    world, api, status, django_capture_on_commit_callbacks
):
    a = world.a
    server_token, player_token = a.cc(), a.player(world.alice)
    assert api.get("/api/v1/games/", token=server_token).status_code == 200  # kept by this process now

    with django_capture_on_commit_callbacks(execute=True):
        set_status(a.partner, status)
    for token in (server_token, player_token):
        refused = api.get("/api/v1/games/", token=token)
        assert refused.status_code == 403 and error_code(refused) == "partner_suspended", refused.content
    write = api.post("/api/v1/sessions/", {"game_id": str(a.game.guid)}, token=player_token)
    assert write.status_code == 403 and error_code(write) == "partner_suspended"
    no_token = token_request(a.cc_app)
    assert no_token.status_code == 400 and no_token.json()["error"] == "unauthorized_client"
    assert "Alpha" in no_token.json()["error_description"]
    # Another partner is untouched.
    assert api.get("/api/v1/games/", token=world.b.cc()).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        set_status(a.partner, PartnerStatus.ACTIVE)
    assert api.get("/api/v1/games/", token=server_token).status_code == 200
    assert token_request(a.cc_app).status_code == 200


def test_a_player_is_not_asked_to_consent_to_a_suspended_partner(world, django_capture_on_commit_callbacks):
    a = world.a
    with django_capture_on_commit_callbacks(execute=True):
        set_status(a.partner, PartnerStatus.SUSPENDED)
    browser = Client()
    browser.force_login(world.alice.user)
    response = browser.get(
        "/o/authorize/",
        {
            "response_type": "code",
            "client_id": a.code_app.client_id,
            "redirect_uri": "https://partner.example/callback",
            "scope": "wallet:read",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        },
    )
    # The error goes back to the partner's callback (RFC 6749 4.1.2.1), never a consent form.
    assert response.status_code == 302
    assert response["Location"].startswith("https://partner.example/callback?error=unauthorized_client")
    assert "suspended" in response["Location"]
