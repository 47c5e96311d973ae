"""Role matrix: every ModelAdmin x every staff role, checked against nodebyte_platform/roles.py.

What a role may do is computed here straight from the ROLES table (fnmatch over app and
model), independently of the Group sync; the admin's own policy (what a superuser is allowed,
e.g. append-only tables refuse delete to everyone) is the upper bound. Studio staff
additionally see nothing of a model whose admin names no `studio_lookup`, and only their own
studio's rows of the others.
"""

import fnmatch

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Model, Q
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from accounts.admin_base import StudioScopedMixin
from accounts.services import sync_roles
from nodebyte_platform.roles import ROLES, group_name
from tests.factories.accounts import StaffProfileFactory, SuperUserFactory
from tests.model_registry import factories_by_model

pytestmark = pytest.mark.django_db

ROLE_LIST = ["admin", "support", "accounting", "studio"]
ACTIONS = ("view", "add", "change", "delete")


def role_allows(role: str, model, action: str) -> bool:
    meta = model._meta
    for app_pattern, model_pattern, actions in ROLES[role]:
        matches = fnmatch.fnmatchcase(meta.app_label, app_pattern) and fnmatch.fnmatchcase(
            meta.model_name, model_pattern
        )
        if matches and ("*" in actions or action in actions or (action == "view" and "change" in actions)):
            return True
    return False


def hidden_from_studio(model_admin) -> bool:
    return not isinstance(model_admin, StudioScopedMixin) or model_admin.studio_lookup is None


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff(db):
    sync_roles()
    return {role: StaffProfileFactory(role=role).user for role in ROLE_LIST}


@pytest.fixture
def root(db):
    return SuperUserFactory()


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def test_role_groups_match_roles_table(staff):
    for role in ROLE_LIST:
        group = Group.objects.get(name=group_name(role))
        for perm in group.permissions.select_related("content_type"):
            model = perm.content_type.model_class()
            if model is None:
                continue
            action = perm.codename.split("_", 1)[0]
            if action in ACTIONS:
                assert role_allows(role, model, action), f"{role} holds {perm.codename} not in roles.py"
    admin_group = Group.objects.get(name=group_name("admin"))
    from django.contrib.auth.models import Permission

    assert admin_group.permissions.count() == Permission.objects.count()


@pytest.mark.parametrize("role", ROLE_LIST)
def test_changelist_and_add_pages_answer_as_the_role_allows(client, staff, root, role):
    user = staff[role]
    client.force_login(user)
    root_request = _request(root)
    checked = 0
    for model, model_admin in registered():
        hidden = role == "studio" and hidden_from_studio(model_admin)
        can_view = not hidden and (role_allows(role, model, "view")) and model_admin.has_view_permission(root_request)
        can_add = not hidden and role_allows(role, model, "add") and model_admin.has_add_permission(root_request)
        try:
            changelist = admin_url(model, "changelist")
        except NoReverseMatch:
            continue
        response = client.get(changelist)
        assert (response.status_code == 200) == can_view, (role, model._meta.label, response.status_code)
        if not can_view:
            assert response.status_code in (302, 403), (role, model._meta.label, response.status_code)
        if not issubclass(model, Model):
            continue  # a settings page dressed as a model (constance): no add view
        try:
            add = admin_url(model, "add")
        except NoReverseMatch:
            continue
        response = client.get(add)
        assert (response.status_code == 200) == can_add, (role, model._meta.label, "add", response.status_code)
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("role", ROLE_LIST)
def test_change_delete_and_actions_answer_as_the_role_allows(client, staff, root, role):
    user = staff[role]
    client.force_login(user)
    root_request, role_request = _request(root), _request(user)
    factories = factories_by_model()
    checked = 0
    for model, model_admin in registered():
        factory_class = factories.get(model)
        if factory_class is None:
            continue
        obj = factory_class()
        hidden = role == "studio" and hidden_from_studio(model_admin)
        in_scope = not hidden and (
            role != "studio"
            or model._default_manager.filter(
                Q(pk=obj.pk) & Q(**{model_admin.studio_lookup: user.staff_profile.studio_id})
            ).exists()
        )
        can_view = in_scope and role_allows(role, model, "view") and model_admin.has_view_permission(root_request, obj)
        can_change = (
            in_scope and role_allows(role, model, "change") and model_admin.has_change_permission(root_request, obj)
        )
        can_delete = (
            in_scope and role_allows(role, model, "delete") and model_admin.has_delete_permission(root_request, obj)
        )
        response = client.get(admin_url(model, "change", obj.pk))
        assert (response.status_code == 200) == (can_view or can_change), (
            role,
            model._meta.label,
            response.status_code,
        )
        if role == "studio" and not hidden and not in_scope:
            assert response.status_code == 404, (model._meta.label, response.status_code)
        if response.status_code == 200:
            editable = response.context["has_change_permission"] if response.context else None
            assert bool(editable) == can_change, (role, model._meta.label, "change")
        response = client.get(admin_url(model, "delete", obj.pk))
        assert (response.status_code == 200) == can_delete, (role, model._meta.label, "delete", response.status_code)

        # Actions: what the role is offered is what the superuser is offered, less what it may not do.
        root_actions = model_admin.get_actions(root_request)
        role_actions = set(model_admin.get_actions(role_request)) if can_view else set()
        assert role_actions <= set(root_actions), (role, model._meta.label)
        for name, (func, _, _) in root_actions.items():
            # An action that names no permission needs the change permission (PlatformModelAdmin).
            needed = getattr(func, "allowed_permissions", None) or ("change",)
            if not set(needed) <= set(ACTIONS):
                continue  # a custom permission the admin defines itself
            expected = can_view and all(
                {"view": can_view, "add": role_allows(role, model, "add"), "change": can_change, "delete": can_delete}[
                    p
                ]
                for p in needed
            )
            if name == "delete_selected":
                expected = can_delete
            assert (name in role_actions) == expected, (role, model._meta.label, name)
        checked += 1
    assert checked > 5


def player_identity():
    from accounts.models import Customer

    return list(Customer.objects.values_list("user__email", "full_name"))


def test_studio_user_sees_only_its_own_studio_rows(client, staff, root):
    factories = factories_by_model()
    compared = 0
    for model, model_admin in registered():
        if hidden_from_studio(model_admin) or model not in factories:
            continue
        first, second = factories[model](), factories[model]()
        lookup = model_admin.studio_lookup
        studios = dict(model._default_manager.filter(pk__in=[first.pk, second.pk]).values_list("pk", lookup))
        if studios[first.pk] == studios[second.pk] or None in studios.values():
            continue
        profile = StaffProfileFactory(role="studio", studio_id=studios[first.pk])
        client.force_login(profile.user)
        response = client.get(admin_url(model, "changelist"))
        if response.status_code != 200:
            continue  # the role has no view permission on this model: covered by the matrix
        rows = {obj.pk for obj in response.context["cl"].result_list}
        assert first.pk in rows and second.pk not in rows, model._meta.label
        # No player's personal data (email, full name) on the studio's pages, only nicknames.
        change_page = client.get(admin_url(model, "change", first.pk)).content.decode()
        for email, full_name in player_identity():
            assert email not in response.content.decode() and email not in change_page, model._meta.label
            assert not full_name or full_name not in change_page, model._meta.label
        # Editing the URL to the other studio's object finds nothing.
        assert client.get(admin_url(model, "change", second.pk)).status_code == 404, model._meta.label
        compared += 1
    if compared == 0:
        pytest.skip("no studio-scoped admin with a factory yet")


def test_studio_user_foreign_key_and_autocomplete_choices_are_scoped(client, root):
    from games.models import Studio

    sync_roles()
    mine, theirs = Studio.objects.create(name="Mine"), Studio.objects.create(name="Theirs")
    user = StaffProfileFactory(role="studio", studio=mine).user
    request = _request(user)
    checked = 0
    for model, model_admin in registered():
        if hidden_from_studio(model_admin):
            continue
        for field in model._meta.get_fields():
            if getattr(field, "many_to_one", False) and field.remote_field.model is Studio and field.editable:
                formfield = model_admin.formfield_for_foreignkey(field, request)
                assert set(formfield.queryset) == {mine}, model._meta.label
                checked += 1
    studio_admin = admin.site._registry.get(Studio)
    if studio_admin is not None and not hidden_from_studio(studio_admin):
        qs, _ = studio_admin.get_search_results(request, Studio.objects.all(), "")
        assert set(qs) == {mine}
        client.force_login(user)
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": "games", "model_name": "game", "field_name": "studio", "term": ""},
        )
        if response.status_code == 200:
            assert {r["text"] for r in response.json()["results"]} == {"Mine"}
    assert theirs.pk != mine.pk
    if checked == 0:
        pytest.skip("no studio-scoped admin with a studio foreign key yet")


def test_studio_staff_sees_no_customer_personal_data(client):
    from tests.factories.accounts import CustomerFactory

    sync_roles()
    customer = CustomerFactory(user__email="private@example.com")
    user = StaffProfileFactory(role="studio").user
    client.force_login(user)
    assert client.get(admin_url(type(customer), "changelist")).status_code == 403
    assert client.get(admin_url(type(customer), "change", customer.pk)).status_code in (403, 404)
    assert client.get(admin_url(type(customer.user), "changelist")).status_code == 403
    response = client.get(reverse("admin:index"))
    assert b"private@example.com" not in response.content
