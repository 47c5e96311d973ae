"""The games admin saves through games.services, as the roles that use it: studio staff keep their
catalog, platform admins their games and integrations. Each rule refuses on the form, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import StaffRole
from games.models import Game, Integration, Package
from tests.admin_forms import form_data, form_errors
from tests.factories import games as gf
from tests.factories.accounts import staff_user

pytestmark = pytest.mark.django_db


def change_url(model, obj):
    return reverse(f"admin:games_{model._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def package():
    return gf.PackageFactory(gcoin_value=Decimal("10.00"), name="starter")


@pytest.fixture
def studio_client(client, package):
    client.force_login(staff_user(StaffRole.STUDIO, studio=package.game.studio))
    return client


def test_a_package_price_with_three_places_is_refused_on_the_form(studio_client, package):
    url = change_url(Package, package)
    data = {**form_data(studio_client, url, Package), "gcoin_value": "10.005"}

    response = studio_client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == ["gcoin_value: COIN amounts carry at most 2 decimal places. (invalid_amount)"]
    package.refresh_from_db()
    assert package.gcoin_value == Decimal("10.00")


def test_a_new_package_named_like_another_of_its_game_is_refused_as_name_taken(studio_client, package):
    url = reverse("admin:games_package_add")
    data = {
        "credit_type": package.credit_type.pk,
        "name": "starter",
        "label": "Starter again",
        "credit_value": "5",
        "gcoin_value": "1.00",
        "is_active": "on",
    }

    response = studio_client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == ["name: There is already a package in this game named 'starter'. (name_taken)"]
    assert Package.objects.filter(game=package.game).count() == 1


def test_a_package_form_saved_unchanged_writes_no_version(studio_client, package):
    url = change_url(Package, package)
    versions = package.history.count()

    response = studio_client.post(url, form_data(studio_client, url, Package))

    assert response.status_code == 302
    assert package.history.count() == versions


def test_a_credit_types_new_label_is_its_assets_label_too(studio_client, package):
    credit_type = package.credit_type
    url = change_url(type(credit_type), credit_type)
    data = {**form_data(studio_client, url, type(credit_type)), "label": "Gems"}

    assert studio_client.post(url, data).status_code == 302
    credit_type.refresh_from_db()
    credit_type.asset.refresh_from_db()
    assert credit_type.label == credit_type.asset.label == "Gems"


def test_a_games_studio_never_changes(client, package):
    game, own_studio_id, elsewhere = package.game, package.game.studio_id, gf.StudioFactory()
    client.force_login(staff_user(StaffRole.ADMIN))
    url = change_url(Game, game)
    data = {**form_data(client, url, Game), "studio": str(elsewhere.pk), "description": "Now with levels"}

    assert client.post(url, data).status_code == 302
    stored = Game.objects.get(pk=game.pk)
    assert stored.studio_id == own_studio_id != elsewhere.pk and stored.description == "Now with levels"


def test_reverting_a_package_needs_the_change_permission_and_goes_through_its_service(client, package):
    first = package.history.earliest()
    package.gcoin_value = Decimal("25.00")
    package.save()
    version_url = reverse("admin:games_package_simple_history", args=[package.pk, first.history_id])

    client.force_login(staff_user(StaffRole.ACCOUNTING))  # reads games, changes none of them
    assert client.get(version_url).status_code == 200
    assert client.post(version_url, form_data(client, version_url, Package)).status_code == 403
    package.refresh_from_db()
    assert package.gcoin_value == Decimal("25.00")

    client.force_login(staff_user(StaffRole.STUDIO, studio=package.game.studio))
    data = form_data(client, version_url, Package)
    refused = client.post(version_url, {**data, "gcoin_value": "0.001"})
    assert refused.status_code == 200 and "(invalid_amount)" in refused.content.decode()
    assert client.post(version_url, data).status_code == 302
    package.refresh_from_db()
    assert package.gcoin_value == Decimal("10.00")


def test_an_integration_url_must_be_https(client):
    client.force_login(staff_user(StaffRole.ADMIN))
    integration = gf.IntegrationFactory(api_key="kept-key")
    url = change_url(Integration, integration)
    data = {**form_data(client, url, Integration), "url": "http://panel.example.test"}

    response = client.post(url, data)

    assert response.status_code == 200
    assert form_errors(response) == [
        "url: The URL must be https: the integration's credentials are sent to it. (validation_error)"
    ]
    integration.refresh_from_db()
    assert integration.url.startswith("https://") and integration.api_key == "kept-key"


def test_a_studio_is_renamed_through_its_service(client, package):
    from games.models import Studio

    studio = package.game.studio
    client.force_login(staff_user(StaffRole.ADMIN))
    url = change_url(Studio, studio)

    assert client.post(url, {**form_data(client, url, Studio), "name": "  Pixel Forge  "}).status_code == 302
    assert Studio.objects.get(pk=studio.pk).name == "Pixel Forge"
