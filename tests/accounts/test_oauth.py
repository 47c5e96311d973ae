"""Partner OAuth2 with real tokens through /o/token/ and /o/authorize/."""

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, RefreshToken, set_token_value

from accounts.models import PartnerApplication
from accounts.tasks import clear_expired_oauth_tokens
from tests.factories.accounts import PartnerApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

REDIRECT = "https://partner.example/callback"


def basic(app) -> str:
    raw = f"{app.client_id}:{app.raw_client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def token(client, app, **data):
    return client.post(reverse("oauth2_provider:token"), data, HTTP_AUTHORIZATION=basic(app))


def checksum(raw: str) -> str:
    # Tokens are kept at rest only as a SHA-256 checksum (COMPLIANT_BCP_RFC9700_TOKEN_STORAGE).
    return hashlib.sha256(raw.encode()).hexdigest()


def pkce_pair():
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@pytest.fixture
def code_app():
    return PartnerApplicationFactory(
        authorization_grant_type=PartnerApplication.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
        allowed_scopes="profile:read wallet:read",
        default_scopes="profile:read",
    )


def authorize(client, app, *, challenge, method="S256", scope="profile:read", redirect_uri=REDIRECT):
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": method,
    }
    client.get(reverse("oauth2_provider:authorize"), params)
    return client.post(reverse("oauth2_provider:authorize"), {**params, "allow": "Authorize"})


def test_client_secret_is_stored_hashed(settings):
    settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS
    app = PartnerApplicationFactory()
    stored = PartnerApplication.objects.get(pk=app.pk).client_secret
    assert stored != app.raw_client_secret and stored.startswith("argon2")


def test_client_credentials_token_with_default_and_requested_scopes(client):
    app = PartnerApplicationFactory(allowed_scopes="catalog:read credits:grant", default_scopes="catalog:read")
    response = token(client, app, grant_type="client_credentials")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "catalog:read"
    assert body["expires_in"] == 3600
    access = AccessToken.objects.get(application=app)
    assert access.expires - timezone.now() <= timedelta(hours=1)
    response = token(client, app, grant_type="client_credentials", scope="credits:grant")
    assert response.status_code == 200 and response.json()["scope"] == "credits:grant"


def test_scope_above_the_ceiling_is_refused(client):
    app = PartnerApplicationFactory(allowed_scopes="catalog:read", default_scopes="catalog:read")
    response = token(client, app, grant_type="client_credentials", scope="catalog:read credits:grant")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.filter(application=app).exists()


def test_wrong_client_secret_is_refused(client):
    app = PartnerApplicationFactory()
    app.raw_client_secret = "not-the-secret"
    response = token(client, app, grant_type="client_credentials")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_authorization_code_with_pkce_s256(client, code_app):
    player = UserFactory()
    client.force_login(player)
    verifier, challenge = pkce_pair()
    response = authorize(client, code_app, challenge=challenge)
    assert response.status_code == 302
    query = parse_qs(urlparse(response.url).query)
    assert response.url.startswith(REDIRECT) and query["state"] == ["xyz"]
    code = query["code"][0]
    client.logout()
    # Without the verifier the code is useless.
    response = token(client, code_app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 400
    response = token(
        client, code_app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "profile:read" and body["refresh_token"]
    assert AccessToken.objects.get(token_checksum=checksum(body["access_token"])).user == player


def test_plain_pkce_is_refused(client, code_app):
    client.force_login(UserFactory())
    response = authorize(client, code_app, challenge="a" * 64, method="plain")
    location = response.get("Location", "")
    assert "code=" not in location
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert "error=invalid_request" in location
    assert not Grant.objects.filter(application=code_app).exists()


def test_authorize_without_pkce_is_refused(client, code_app):
    client.force_login(UserFactory())
    params = {
        "response_type": "code",
        "client_id": code_app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "profile:read",
    }
    response = client.post(reverse("oauth2_provider:authorize"), {**params, "allow": "Authorize"})
    assert "code=" not in response.get("Location", "")
    assert not Grant.objects.filter(application=code_app).exists()


def test_authorize_scope_above_ceiling_is_refused(client, code_app):
    client.force_login(UserFactory())
    _, challenge = pkce_pair()
    response = authorize(client, code_app, challenge=challenge, scope="profile:read credits:spend")
    assert "code=" not in response.get("Location", "")
    assert not Grant.objects.filter(application=code_app).exists()


def test_redirect_uri_must_match_exactly(client, code_app):
    client.force_login(UserFactory())
    _, challenge = pkce_pair()
    response = authorize(client, code_app, challenge=challenge, redirect_uri=REDIRECT + "/evil")
    assert response.status_code == 400
    assert not Grant.objects.filter(application=code_app).exists()


def test_http_redirect_uri_refused_outside_debug(code_app):
    from django.core.exceptions import ValidationError

    code_app.redirect_uris = "http://partner.example/callback"
    with pytest.raises(ValidationError):
        code_app.full_clean()


def _code_tokens(client, app):
    client.force_login(UserFactory())
    verifier, challenge = pkce_pair()
    code = parse_qs(urlparse(authorize(client, app, challenge=challenge).url).query)["code"][0]
    client.logout()
    response = token(
        client, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    return response.json()


def test_refresh_rotates_and_reuse_revokes_the_family(client, code_app, settings):
    first = _code_tokens(client, code_app)
    response = token(client, code_app, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert response.status_code == 200, response.content
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert not AccessToken.objects.filter(token_checksum=checksum(first["access_token"])).exists()

    # Replaying the spent refresh token after the retry grace period: refused, and the token minted
    # from it dies too (tests/api/test_errors.py covers the retry within the grace period).
    later = timezone.now() + timedelta(seconds=settings.OAUTH2_REFRESH_RETRY_GRACE_SECONDS + 1)
    with time_machine.travel(later):
        response = token(client, code_app, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.filter(token_checksum=checksum(second["access_token"])).exists()
    assert RefreshToken.objects.get(token_checksum=checksum(second["refresh_token"])).revoked is not None
    with time_machine.travel(later):
        response = token(client, code_app, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert response.status_code == 400


def test_refresh_cannot_widen_scope(client, code_app):
    first = _code_tokens(client, code_app)
    response = token(
        client, code_app, grant_type="refresh_token", refresh_token=first["refresh_token"], scope="wallet:read"
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_beat_task_clears_expired_tokens(settings):
    app = PartnerApplicationFactory()
    user = UserFactory()
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "REFRESH_TOKEN_EXPIRE_SECONDS": 60}
    past = timezone.now() - timedelta(days=2)
    old = AccessToken(application=app, user=user, expires=past, scope="catalog:read")
    set_token_value(old, "old")
    old.save()
    new = AccessToken(application=app, user=user, expires=timezone.now() + timedelta(hours=1), scope="catalog:read")
    set_token_value(new, "new")
    new.save()
    assert clear_expired_oauth_tokens.delay().get()["status"] == "succeeded"
    assert list(AccessToken.objects.values_list("pk", flat=True)) == [new.pk]
