"""The games admin: every page loads with flat query counts; studio staff see only their studio; guid privacy."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import StaffRole
from games import models as m
from games import services
from tests.factories import games as gf
from tests.factories.accounts import CustomerFactory, SuperUserFactory, staff_user

pytestmark = pytest.mark.django_db

GAMES_MODELS = [model for model in admin.site._registry if model._meta.app_label == "games"]


def _rows(n):
    for _ in range(n):
        package = gf.PackageFactory()
        session = services.start_session(customer=CustomerFactory(), game=package.game)
        gf.BetLimitFindingFactory(bet=gf.BetFactory(session=session))
        gf.BetExposureFactory()
        server = gf.ServerFactory()
        gf.ServerVariableFactory(server=server)
        gf.ServerPropertyFactory(server=server)
        gf.ServerDatabaseFactory(server=server)
        gf.ServerBackupFactory(server=server)
        gf.AllocationFactory(server=server, node=server.node)
        gf.EggPropertyFactory()
        gf.SyncLogFactory()
        gf.HytaleGameSessionFactory()


def _changelist_queries(client, model):
    url = reverse(f"admin:games_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def test_every_games_changelist_and_change_page_loads_with_flat_queries(client):
    client.force_login(SuperUserFactory())
    _rows(1)
    _changelist_queries(client, m.Studio)  # warm the per-process caches (content types)
    small = {model: _changelist_queries(client, model) for model in GAMES_MODELS}
    _rows(4)
    large = {model: _changelist_queries(client, model) for model in GAMES_MODELS}
    assert small == large
    for model in GAMES_MODELS:
        obj = model.objects.first()
        if obj is None:
            continue
        response = client.get(reverse(f"admin:games_{model._meta.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200, model


def test_studio_staff_see_only_their_studio_and_no_hosting(client):
    mine, theirs = gf.PackageFactory(), gf.PackageFactory()
    user = staff_user(StaffRole.STUDIO, studio=mine.game.studio)
    client.force_login(user)
    page = client.get(reverse("admin:games_game_changelist")).content.decode()
    assert mine.game.name in page and theirs.game.name not in page
    assert client.get(reverse("admin:games_game_change", args=[theirs.game.pk])).status_code in (302, 404)
    own = client.get(reverse("admin:games_game_change", args=[mine.game.pk])).content.decode()
    assert str(mine.game.guid) in own
    assert client.get(reverse("admin:games_package_history", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:games_server_changelist")).status_code == 403


def test_support_staff_never_see_a_guid(client):
    package = gf.PackageFactory()
    client.force_login(staff_user(StaffRole.SUPPORT))
    page = client.get(reverse("admin:games_game_change", args=[package.game.pk]))
    assert page.status_code == 200 and str(package.game.guid) not in page.content.decode()


def test_admin_adds_a_credit_type_with_its_asset_and_package_price_history(client):
    client.force_login(SuperUserFactory())
    game = gf.GameFactory()
    response = client.post(
        reverse("admin:games_credittype_add"),
        {"game": game.pk, "name": "gold", "label": "Gold", "exchange_rate": 5, "expiry_days": ""},
    )
    assert response.status_code == 302, response.content
    credit_type = m.CreditType.objects.get(game=game, name="gold")
    assert credit_type.asset.code == f"CR-{credit_type.pk}"
    response = client.post(
        reverse("admin:games_package_add"),
        {
            "credit_type": credit_type.pk,
            "name": "p1",
            "label": "P1",
            "credit_value": 10,
            "gcoin_value": "1.00",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    package = m.Package.objects.get(name="p1")
    response = client.post(
        reverse("admin:games_package_change", args=[package.pk]),
        {"name": "p1", "label": "P1", "credit_value": 10, "gcoin_value": "2.50", "is_active": "on"},
    )
    assert response.status_code == 302, response.content
    assert [h.gcoin_value for h in package.history.order_by("history_date")] == [Decimal("1.00"), Decimal("2.50")]


def test_integration_secrets_are_write_only(client):
    client.force_login(SuperUserFactory())
    integration = gf.IntegrationFactory(api_key="very-secret-key")
    url = reverse("admin:games_integration_change", args=[integration.pk])
    assert "very-secret-key" not in client.get(url).content.decode()
    data = {
        "kind": integration.kind,
        "name": "Renamed",
        "user": "",
        "url": integration.url,
        "api_key": "",
        "api_secret": "",
        "status": integration.status,
        "sync_interval_minutes": 60,
    }
    assert client.post(url, data).status_code == 302
    integration.refresh_from_db()
    assert integration.name == "Renamed" and integration.api_key == "very-secret-key"


def test_staff_see_a_players_sessions_and_bets(client):
    bet = gf.BetFactory()
    player_id = bet.session.customer.player_id
    client.force_login(staff_user(StaffRole.ACCOUNTING))
    page = client.get(reverse("admin:games_bet_changelist"), {"q": str(player_id)}).content.decode()
    assert str(bet.public_id) in page
    client.force_login(staff_user(StaffRole.SUPPORT))
    page = client.get(reverse("admin:games_gamesession_changelist"), {"q": str(player_id)}).content.decode()
    assert str(bet.session.public_id) in page


def test_staff_resolve_a_bet_limit_finding_with_a_note_and_studios_see_only_their_own(client):
    from accounts.services import sync_roles

    sync_roles()
    finding = gf.BetLimitFindingFactory()
    url = reverse("admin:games_betlimitfinding_change", args=[finding.pk])
    other_studio = staff_user(StaffRole.STUDIO)
    client.force_login(other_studio)
    assert client.get(url).status_code == 404
    own_studio = staff_user(StaffRole.STUDIO, studio=finding.bet.session.game.studio)
    client.force_login(own_studio)
    page = client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]

    root = SuperUserFactory()
    client.force_login(root)
    response = client.post(url, {"requested_payout": "1", "cap": "1", "resolution_note": "Partner bug, fixed"})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    finding = m.BetLimitFinding.objects.get(pk=finding.pk)
    assert finding.resolved and finding.resolved_by == root and finding.resolution_note == "Partner bug, fixed"
    assert finding.requested_payout == Decimal("150.00")  # money fields stay read-only
