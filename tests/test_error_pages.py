"""Branded error pages for people, the API's JSON error body for partners, and no OAuth client
registration pages for players."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from nodebyte_platform import http
from tests.factories.accounts import CustomerFactory

pytestmark = pytest.mark.django_db


def test_unknown_portal_page_answers_the_branded_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We can't find that page" in page
    assert "portal/favicon.svg" in page
    assert 'href="/"' in page  # the way back home


def test_unknown_api_route_keeps_the_json_error_body(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_permission_denied_page_is_branded_and_says_why():
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    response = http.permission_denied(request, PermissionDenied("Only the ticket's player can open it."))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You can't open this page" in page
    assert "Only the ticket&#x27;s player can open it." in page


def test_server_error_page_renders_without_database_or_context(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = http.server_error(request)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/o/applications/", "/o/applications/register/", "/o/authorized_tokens/", "/o/device/"]
)
def test_players_cannot_reach_oauth_application_management(client, path):
    customer = CustomerFactory()
    client.force_login(customer.user)
    assert client.get(path).status_code == 404
    assert client.post(path, {"name": "mine", "client_type": "public"}).status_code == 404


def test_the_oauth_flow_routes_stay(client):
    # A token request without credentials is refused by the flow itself, not missing.
    response = client.post("/o/token/", {"grant_type": "client_credentials"})
    assert response.status_code in (400, 401)
    assert client.get("/o/authorize/").status_code in (302, 400)
