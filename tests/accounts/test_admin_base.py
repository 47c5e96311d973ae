"""PlatformModelAdmin's guarantees, on a private AdminSite so they hold whatever the apps register:
studio scoping of rows, object URLs, foreign-key choices and search; the audit trail."""

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import path

from accounts.admin_base import PlatformModelAdmin
from accounts.models import AuditEntry
from accounts.services import sync_roles
from games.models import CreditType, Game, Package, Studio
from tests.factories.accounts import StaffProfileFactory, SuperUserFactory
from tests.factories.games import CreditTypeFactory, GameFactory

pytestmark = pytest.mark.django_db


class StudioAdmin(PlatformModelAdmin):
    studio_lookup = "pk"
    search_fields = ("name",)


class GameAdmin(PlatformModelAdmin):
    studio_lookup = "studio"
    search_fields = ("name",)
    actions = ("deactivate",)

    @admin.action(description="Deactivate", permissions=["change"])
    def deactivate(self, request, queryset):
        queryset.update(is_active=False)


class CreditTypeAdmin(PlatformModelAdmin):
    studio_lookup = "game__studio"
    search_fields = ("name",)


@pytest.fixture
def site():
    site = admin.AdminSite(name="scoping_test")
    site.register(Studio, StudioAdmin)
    site.register(Game, GameAdmin)
    site.register(CreditType, CreditTypeAdmin)
    return site


@pytest.fixture
def world():
    sync_roles()
    mine, theirs = GameFactory(), GameFactory()
    assert mine.studio_id != theirs.studio_id
    return {
        "mine": mine,
        "theirs": theirs,
        "my_credit": CreditTypeFactory(game=mine),
        "their_credit": CreditTypeFactory(game=theirs),
        "studio_user": StaffProfileFactory(role="studio", studio=mine.studio).user,
    }


def request_for(user, method="get", data=None):
    request = getattr(RequestFactory(), method)("/admin/", data or {})
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_studio_user_rows_and_choices_are_its_own(site, world):
    request = request_for(world["studio_user"])
    game_admin, credit_admin = site._registry[Game], site._registry[CreditType]
    assert list(game_admin.get_queryset(request)) == [world["mine"]]
    assert list(credit_admin.get_queryset(request)) == [world["my_credit"]]

    game_field = CreditType._meta.get_field("game")
    assert list(credit_admin.formfield_for_foreignkey(game_field, request).queryset) == [world["mine"]]
    studio_field = Game._meta.get_field("studio")
    assert list(game_admin.formfield_for_foreignkey(studio_field, request).queryset) == [world["mine"].studio]

    results, _ = game_admin.get_search_results(request, Game.objects.all(), "")
    assert list(results) == [world["mine"]]


def test_studio_user_gets_404_for_another_studios_object(site, world):
    request = request_for(world["studio_user"])
    with pytest.raises(Http404):
        site._registry[Game].change_view(request, str(world["theirs"].pk))
    with pytest.raises(Http404):
        site._registry[CreditType].change_view(request, str(world["their_credit"].pk))
    assert site._registry[Game].get_object(request, str(world["mine"].pk)) == world["mine"]


def test_models_without_studio_lookup_are_hidden_from_studio_staff(world):
    request = request_for(world["studio_user"])

    class Unscoped(PlatformModelAdmin):
        pass

    hidden = Unscoped(Game, admin.AdminSite(name="hidden_test"))
    assert not hidden.has_module_permission(request)
    assert not hidden.has_view_permission(request)
    assert not hidden.get_queryset(request).exists()


def test_superuser_sees_every_studio(site, world):
    request = request_for(SuperUserFactory())
    assert set(site._registry[Game].get_queryset(request)) == {world["mine"], world["theirs"]}


def test_admin_change_and_action_leave_audit_rows(site, world, client):
    root = SuperUserFactory()
    game_admin = site._registry[Game]
    game = world["mine"]

    request = request_for(root, "post")
    obj = game_admin.get_object(request, str(game.pk))
    original = obj.description
    obj.description = "Reworded"
    obj.save()
    game_admin.log_change(request, obj, "changed description")
    entry = AuditEntry.objects.get(action="change", object_id=str(game.pk))
    assert entry.actor == root
    assert entry.before["description"] == original and entry.after["description"] == "Reworded"

    func, _, _ = game_admin.get_actions(request)["deactivate"]
    func(game_admin, request, Game.objects.filter(pk__in=[game.pk, world["theirs"].pk]))
    rows = AuditEntry.objects.filter(action="action:deactivate").order_by("object_id")
    assert {r.object_id for r in rows} == {str(game.pk), str(world["theirs"].pk)}
    assert all(r.before["is_active"] is True and r.after["is_active"] is False for r in rows)

    game_admin.log_deletion(request, world["theirs"], str(world["theirs"]))
    assert AuditEntry.objects.get(action="delete").after is None


def test_audit_rows_are_append_only_in_admin(client):
    sync_roles()
    entry = AuditEntry.objects.create(
        action="change",
        content_type=ContentType.objects.get_for_model(Game),
        object_id="1",
        object_repr="x",
        before={},
        after={},
    )
    client.force_login(StaffProfileFactory(role="admin").user)
    from django.urls import reverse

    assert client.get(reverse("admin:accounts_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditentry_delete", args=[entry.pk])).status_code == 403
    assert client.get(reverse("admin:accounts_auditentry_add")).status_code == 403


@pytest.mark.postgres
def test_audit_table_refuses_update_and_delete_in_the_database():
    from django.db import InternalError, transaction

    entry = AuditEntry.objects.create(
        action="x", content_type=ContentType.objects.get_for_model(Game), object_id="1", object_repr="x"
    )
    with pytest.raises(InternalError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="y")
    with pytest.raises(InternalError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_inline_changes_and_deletions_are_audited(site, world):
    from accounts.admin_base import PlatformTabularInline
    from tests.factories.games import PackageFactory

    class PackageInline(PlatformTabularInline):
        model = Package
        fields = ("label",)
        plain_save = "Rows written by hand on purpose: their audit trail is what this test checks."

    package, doomed = PackageFactory(credit_type=world["my_credit"]), PackageFactory(credit_type=world["my_credit"])
    game = world["mine"]
    root = SuperUserFactory()
    request = request_for(root, "post")
    formset_class = PackageInline(Game, site).get_formset(request, game)
    prefix = formset_class.get_default_prefix()
    rows = list(game.packages.order_by("pk"))
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(len(rows)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data[f"{prefix}-{i}-id"] = str(row.pk)
        data[f"{prefix}-{i}-game"] = str(game.pk)
        data[f"{prefix}-{i}-label"] = "Renamed" if row.pk == package.pk else row.label
        if row.pk == doomed.pk:
            data[f"{prefix}-{i}-DELETE"] = "on"
    formset = formset_class(data=data, files={}, instance=game, prefix=prefix)
    assert formset.is_valid(), formset.errors
    old_label = package.label
    site._registry[Game].save_formset(request, None, formset, True)

    changed = AuditEntry.objects.get(action="change", object_id=str(package.pk))
    assert changed.before["label"] == old_label and changed.after["label"] == "Renamed"
    deleted = AuditEntry.objects.get(action="delete", object_id=str(doomed.pk))
    assert deleted.after is None and deleted.before["label"] == doomed.label and deleted.actor == root


class PeekingGameAdmin(GameAdmin):
    """A custom object view that forgets to scope its own lookup."""

    def get_urls(self):
        return [
            path("<path:object_id>/peek/", self.admin_site.admin_view(self.peek), name="games_game_peek"),
            *super().get_urls(),
        ]

    def peek(self, request, object_id):
        return HttpResponse(Game.objects.get(pk=object_id).name)


def test_every_object_url_is_scoped_before_its_view_runs_custom_views_included(world):
    site = admin.AdminSite(name="peek_test")
    site.register(Game, PeekingGameAdmin)
    peek = next(url for url in site._registry[Game].urls if url.name == "games_game_peek").callback
    request = request_for(world["studio_user"])
    with pytest.raises(Http404):
        peek(request, object_id=str(world["theirs"].pk))
    assert peek(request, object_id=str(world["mine"].pk)).content.decode() == world["mine"].name
    # Anyone else reaches the view as it is.
    assert peek(request_for(SuperUserFactory()), object_id=str(world["theirs"].pk)).status_code == 200


def test_an_admin_url_that_captures_something_else_than_the_object_is_refused():
    class Odd(PlatformModelAdmin):
        def get_urls(self):
            return [path("by-code/<slug:code>/", lambda request, code: HttpResponse()), *super().get_urls()]

    with pytest.raises(ImproperlyConfigured, match="no object id"):
        Odd(Game, admin.AdminSite(name="odd_test")).urls  # noqa: B018


def test_simple_history_admin_on_a_model_without_history_fails_the_system_check():
    from simple_history.admin import SimpleHistoryAdmin

    class HistoryOfStudios(SimpleHistoryAdmin, PlatformModelAdmin):
        pass

    class HistoryOfPackages(SimpleHistoryAdmin, PlatformModelAdmin):
        pass

    site = admin.AdminSite(name="history_check_test")
    assert "accounts.E001" in {error.id for error in HistoryOfStudios(Studio, site).check()}
    assert "accounts.E001" not in {error.id for error in HistoryOfPackages(Package, site).check()}


# --- saves: a service, or a stated reason; a refusal comes back on the form --------------


def post_change(model_admin, obj, data):
    request = request_for(SuperUserFactory(), "post", data)
    request._dont_enforce_csrf_checks = True
    return model_admin.changeform_view(request, str(obj.pk))


def test_an_admin_without_a_service_or_a_reason_refuses_to_write_by_hand(site, world):
    studio = world["mine"].studio
    before = Studio.objects.get(pk=studio.pk).updated_at

    unchanged = post_change(site._registry[Studio], studio, {"name": studio.name})
    assert unchanged.status_code == 302  # nothing to write: nothing written, nothing refused
    assert Studio.objects.get(pk=studio.pk).updated_at == before

    with pytest.raises(ImproperlyConfigured, match="would save games.Studio by hand"):
        post_change(site._registry[Studio], studio, {"name": "Renamed by hand"})
    assert Studio.objects.get(pk=studio.pk).name == studio.name


def test_an_admin_that_says_why_saves_plainly(world):
    class ReferenceStudioAdmin(StudioAdmin):
        plain_save = "Reference rows for this test: no rule applies to their names."

    site = admin.AdminSite(name="plain_save_test")
    site.register(Studio, ReferenceStudioAdmin)
    studio = world["mine"].studio

    assert post_change(site._registry[Studio], studio, {"name": "Renamed plainly"}).status_code == 302
    assert Studio.objects.get(pk=studio.pk).name == "Renamed plainly"


def test_a_refusal_raised_while_saving_comes_back_on_the_form_and_nothing_stays_written(world):
    from games.errors import NameTaken

    class HalfWayStudioAdmin(StudioAdmin):
        def save_model(self, request, obj, form, change):
            Studio.objects.filter(pk=obj.pk).update(name="written before the refusal")
            raise NameTaken("That name is reserved.", details={"field": "name"})

    site = admin.AdminSite(name="refusal_test")
    site.register(Studio, HalfWayStudioAdmin)
    studio = world["mine"].studio

    response = post_change(site._registry[Studio], studio, {"name": "Reserved"})

    assert response.status_code == 200
    form = response.context_data["adminform"].form
    assert form.errors == {"name": ["That name is reserved. (name_taken)"]}
    assert form["name"].value() == "Reserved"  # what was typed, to correct
    assert Studio.objects.get(pk=studio.pk).name == studio.name
