"""seed_demo builds a usable demo, prints working logins, and a second run changes nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from accounts.models import Customer, PartnerApplication, StaffProfile, StaffRole, User
from games.models import CreditType, Game, Package
from ledger.models import Wallet


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


@pytest.fixture(autouse=True)
def _demo_redirect_schemes(settings):
    """`make run` serves the demo with DEBUG on, where its player app's http callback is allowed
    (settings.py); the suite runs with DEBUG off."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}


@pytest.fixture
def seeded(db):
    return seed()


@pytest.mark.slow
def test_second_run_leaves_every_table_as_it_was(seeded):
    before = row_counts()
    balances = dict(Wallet.objects.values_list("pk", "balance"))
    seed()
    after = row_counts()
    assert {label: (before[label], after[label]) for label in before if before[label] != after[label]} == {}
    assert dict(Wallet.objects.values_list("pk", "balance")) == balances


def test_catalog_two_games_with_credit_types_and_packages(seeded):
    games = Game.objects.filter(studio__name="Pixel Forge")
    assert games.count() == 2
    for game in games:
        assert CreditType.objects.filter(game=game).exists()
        assert Package.objects.filter(game=game).count() >= 2


def test_one_staff_user_per_role_and_the_admin_is_a_superuser(seeded):
    roles = set(StaffProfile.objects.values_list("role", flat=True))
    assert roles == set(StaffRole.values)
    admin = User.objects.get(staff_profile__role=StaffRole.ADMIN)
    assert admin.is_superuser and admin.is_staff
    studio_staff = StaffProfile.objects.get(role=StaffRole.STUDIO)
    assert studio_staff.studio.name == "Pixel Forge"
    for profile in StaffProfile.objects.select_related("user"):
        assert profile.user.is_staff
        assert profile.user.groups.exists(), f"{profile.user} has no role group"


def test_printed_admin_login_opens_the_admin(seeded, client, settings):
    assert "admin-demo" in seeded
    login_page = client.get("/admin/", follow=True)
    login_url = login_page.redirect_chain[-1][0]
    response = client.post(login_url, {"login": "admin", "password": "admin-demo", "username": "admin"})
    assert response.status_code == 302, response.content[:500]
    admin_index = client.get("/admin/")
    assert admin_index.status_code == 200
    assert admin_index.context["user"].username == "admin"


def test_players_have_balances_and_verified_emails(seeded):
    alice = Customer.objects.get(user__username="alice")
    coins = Wallet.objects.get(owner=alice.user, asset__code="COIN")
    assert coins.balance == Decimal("500.00")
    assert Wallet.objects.filter(owner=alice.user, asset__kind="credit", balance__gt=0).count() == 2
    assert EmailAddress.objects.filter(user=alice.user, verified=True, primary=True).exists()
    assert "alice-demo" in seeded


def test_printed_player_login_signs_in_to_the_portal(seeded, client):
    response = client.post("/accounts/login/", {"login": "alice", "password": "alice-demo"})
    assert response.status_code == 302, response.content[:500]
    assert client.get("/").context["user"].username == "alice"


def test_partner_application_gets_a_token_with_the_printed_secret(seeded, client):
    application = PartnerApplication.objects.get(client_id="demo-pixel-forge")
    assert application.partner.studio.name == "Pixel Forge"
    assert application.allowed_scope_set == set(settings.OAUTH2_SCOPES)
    assert "demo-pixel-forge-secret" in seeded
    response = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": "demo-pixel-forge",
            "client_secret": "demo-pixel-forge-secret",
            "scope": "catalog:read",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["access_token"]
