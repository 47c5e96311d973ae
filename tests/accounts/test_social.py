"""Social login (Discord, Google) configured from admin as allauth SocialApps; link and unlink."""

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.urls import reverse

from accounts.services import sync_roles
from tests.factories.accounts import CustomerFactory, StaffProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def discord():
    return SocialApp.objects.create(provider="discord", name="Discord", client_id="discord-id", secret="discord-secret")


def test_admin_configures_social_apps(client):
    sync_roles()
    client.force_login(StaffProfileFactory(role="admin").user)
    response = client.post(
        reverse("admin:socialaccount_socialapp_add"),
        {
            "provider": "google",
            "name": "Google",
            "client_id": "g-id",
            "secret": "g-secret",
            "key": "",
            "settings": "{}",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert SocialApp.objects.get(provider="google").client_id == "g-id"


def test_account_page_offers_linking_configured_providers(client, discord):
    client.force_login(CustomerFactory().user)
    body = client.get(reverse("portal:account")).content.decode()
    assert "Link Discord" in body
    assert reverse("discord_login") in body
    assert "Link Google" not in body  # not configured


def test_start_linking_redirects_to_the_provider(client, discord):
    client.force_login(CustomerFactory().user)
    response = client.post(reverse("discord_login") + "?process=connect")
    assert response.status_code == 302
    assert response.url.startswith("https://discord.com/")
    assert "client_id=discord-id" in response.url


def test_unlink_a_social_account(client, discord):
    user = CustomerFactory().user
    account = SocialAccount.objects.create(user=user, provider="discord", uid="42")
    client.force_login(user)
    assert "Unlink" in client.get(reverse("portal:account")).content.decode()
    response = client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert response.status_code == 302
    assert not SocialAccount.objects.filter(pk=account.pk).exists()
