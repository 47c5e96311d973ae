"""Role matrix: every URL of every ModelAdmin x every staff role, checked against roles.py.

What a role may do is computed here straight from the ROLES table (fnmatch over app and
model), independently of the Group sync; the admin's own policy (what a superuser is allowed,
e.g. append-only tables refuse delete to everyone) is the upper bound. Studio staff
additionally see nothing of a model whose admin names no `studio_lookup`, and only their own
studio's rows of the others: every URL naming another studio's object (or any object of a
model hidden from them) answers 404, whatever the view behind it.

The walk takes every URL pattern each admin registers (its `urls`: Django's, simple-history's,
unfold's actions, custom views) and the site's own; an admin URL this file has no expectation
for fails the walk, so a new view cannot go unchecked. Every expected status is computed before
the request and every request is asserted.
"""

import fnmatch
import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import reverse
from django.urls.resolvers import RegexPattern

from accounts.admin_base import StudioScopedMixin
from accounts.services import sync_roles
from games.models import CreditType, Game, Package, Studio
from nodebyte_platform.roles import ROLES, group_name
from tests.admin_objects import is_model, latest_version, make_object, registered_admins
from tests.factories.accounts import CustomerFactory, StaffProfileFactory, SuperUserFactory
from tests.factories.games import CreditTypeFactory, PackageFactory
from tests.model_registry import label

pytestmark = pytest.mark.django_db

ROLE_LIST = ["admin", "support", "accounting", "studio"]
ACTIONS = ("view", "add", "change", "delete")
ADMINS = registered_admins()
ADMIN_IDS = [label(model) for model, _ in ADMINS]
SCOPED_ADMINS = [
    (model, model_admin)
    for model, model_admin in ADMINS
    if isinstance(model_admin, StudioScopedMixin) and model_admin.studio_lookup is not None
]


def _rules(role, app_label, model_name):
    for app_pattern, model_pattern, actions in ROLES[role]:
        if fnmatch.fnmatchcase(app_label, app_pattern) and fnmatch.fnmatchcase(model_name, model_pattern):
            yield actions


def role_allows_on(role: str, app_label: str, model_name: str, action: str) -> bool:
    return any(
        "*" in actions or action in actions or (action == "view" and "change" in actions)
        for actions in _rules(role, app_label, model_name)
    )


def role_allows(role: str, model, action: str) -> bool:
    return role_allows_on(role, model._meta.app_label, model._meta.model_name, action)


def role_holds(role: str, perm: str) -> bool:
    """Does roles.py give `role` the permission "app_label.codename"? (the model's own ones included)"""
    app_label, codename = perm.split(".")
    action = codename.split("_", 1)[0]
    for permission in Permission.objects.filter(content_type__app_label=app_label, codename=codename):
        model_name = permission.content_type.model
        if action in ACTIONS and role_allows_on(role, app_label, model_name, action):
            return True
        if action not in ACTIONS and any(
            "*" in actions or "custom" in actions or f"codename:{codename}" in actions
            for actions in _rules(role, app_label, model_name)
        ):
            return True
    return False


def hidden_from_studio(model_admin) -> bool:
    return not isinstance(model_admin, StudioScopedMixin) or model_admin.studio_lookup is None


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.fixture
def roles(db):
    sync_roles()


@pytest.fixture
def root(db):
    return SuperUserFactory()


@dataclass(frozen=True)
class Access:
    view: bool = False
    add: bool = False
    change: bool = False
    delete: bool = False


def access_of(role, model, model_admin, obj, root) -> Access:
    """What `role` may do with `obj` (None: the model in general), from roles.py and the admin's policy."""
    if role == "studio" and hidden_from_studio(model_admin):
        return Access()
    policy = _request(root)
    view = role_allows(role, model, "view") and model_admin.has_view_permission(policy, obj)
    change = role_allows(role, model, "change") and model_admin.has_change_permission(policy, obj)
    add = role_allows(role, model, "add") and model_admin.has_add_permission(policy)
    delete = role_allows(role, model, "delete") and model_admin.has_delete_permission(policy, obj)
    return Access(view=view or change, add=add, change=change, delete=delete)


def allowed(ok: bool, status: int = 200) -> int:
    return status if ok else 403


# Views beyond Django's own, by URL name: the status a GET answers to a role (granted / refused).
CUSTOM_VIEWS = {
    "accounts_customer_impersonate": lambda role: allowed(role_holds(role, "accounts.impersonate_customer")),
    "accounts_customer_view_as_player": lambda role: allowed(role_holds(role, "accounts.impersonate_customer"), 302),
    "ledger_transfer_reverse": lambda role: allowed(role_holds(role, "ledger.add_transfer")),
    "ledger_transfer_reverse_detail": lambda role: allowed(role_holds(role, "ledger.add_transfer"), 302),
    "ledger_adjustmentrequest_adjust": lambda role: allowed(role_holds(role, "ledger.add_adjustmentrequest")),
    "ledger_adjustmentrequest_new_adjustment": lambda role: allowed(
        role_holds(role, "ledger.add_adjustmentrequest"), 302
    ),
    "ledger_adjustmentrequest_reject": lambda role: allowed(role_holds(role, "ledger.change_adjustmentrequest")),
    "ledger_adjustmentrequest_reject_detail": lambda role: allowed(
        role_holds(role, "ledger.change_adjustmentrequest"), 302
    ),
    "ledger_adjustmentrequest_approve_detail": lambda role: allowed(
        role_holds(role, "ledger.change_adjustmentrequest")
    ),
    "ledger_reconciliationfinding_resolve_detail": lambda role: allowed(
        role_holds(role, "ledger.change_reconciliationfinding")
    ),
    "ledger_reconciliationrun_run_now": lambda role: allowed(role_holds(role, "ledger.add_reconciliationrun"), 302),
    "nodebyte_platform_jobrun_run": lambda role: allowed(role_holds(role, "nodebyte_platform.run_job"), 405),
    "constance_config_history": lambda role: allowed(role_holds(role, "constance.view_config")),
    "constance_config_add": lambda role: allowed(role_holds(role, "constance.view_config")),
    # A reward rule's Simulate, Explain and Backtest write nothing: whoever may view the rule may run them.
    **{
        f"loyalty_rewardrule_{page}": lambda role: allowed(role_holds(role, "loyalty.view_rewardrule"))
        for page in ("simulate", "explain", "backtest")
    },
    **{
        f"loyalty_rewardrule_{page}_detail": lambda role: allowed(role_holds(role, "loyalty.view_rewardrule"), 302)
        for page in ("simulate", "explain", "backtest")
    },
}
# constance's "model" is a settings page: its `<id>/change/` redirects to the page (there is
# no object behind the id, so nothing to scope) for anyone signed in to the admin.
SETTINGS_PAGE_CHANGE_STATUS = 302


def expected_status(role, model, url, access: Access, *, outside_studio: bool) -> int:
    """The status a GET of this admin URL must answer, decided before the request."""
    info = f"{model._meta.app_label}_{model._meta.model_name}"
    names_object = _names_object(url)
    if not is_model(model) and url.name == f"{info}_change":
        return SETTINGS_PAGE_CHANGE_STATUS
    if names_object and outside_studio:
        return 404
    if url.name in CUSTOM_VIEWS:
        return CUSTOM_VIEWS[url.name](role)
    standard = {
        f"{info}_changelist": allowed(access.view),
        f"{info}_add": allowed(access.add),
        f"{info}_change": allowed(access.view),
        f"{info}_history": allowed(access.view),
        f"{info}_simple_history": allowed(access.view),
        f"{info}_delete": allowed(access.delete),
        "auth_user_password_change": allowed(access.change),
    }
    if url.name is None and str(url.pattern) == "<path:object_id>/":
        return 302  # Django's old-style object URL: a redirect to the change page
    assert url.name in standard, f"no expectation for admin URL {url.name!r} ({url.pattern}) of {label(model)}"
    return standard[url.name]


def _names_object(url) -> bool:
    pattern = url.pattern
    if isinstance(pattern, RegexPattern):
        return pattern.regex.groups > 0
    return bool(pattern.converters)


def url_for(model, url, obj, history_id=None) -> str:
    """The path of one admin URL pattern for `obj`: the object id (and version) filled in."""
    base = admin_url(model, "changelist")
    pattern = url.pattern
    if isinstance(pattern, RegexPattern):
        assert pattern.regex.groups == 2, pattern  # django-simple-history: <object>/history/<version>/
        return reverse(f"admin:{url.name}", args=[quote(str(obj.pk)), history_id])
    return base + re.sub(r"<(?:\w+:)?\w+>", lambda _: quote(str(obj.pk)) if obj is not None else "0", str(pattern))


class ChangeFormInputs(HTMLParser):
    """Counts the inputs a person could change inside the change form (`<form id="<model>_form">`)."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.editable = form_id, False, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        elif self.inside and tag in ("input", "select", "textarea"):
            kind = (attrs.get("type") or "").lower()
            if kind in ("hidden", "submit", "button", "reset", "image"):
                return
            if "disabled" in attrs or "readonly" in attrs:
                return
            self.editable.append(attrs.get("name"))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def editable_inputs(html: str, model) -> list:
    parser = ChangeFormInputs(f"{model._meta.model_name}_form")
    parser.feed(html)
    return parser.editable


SAVE_BUTTON = re.compile(r'name="(_save|_continue|_addanother)"')


def walk(client, role, model, model_admin, obj, root, *, outside_studio):
    """GET every URL of one admin for one object and assert each status; returns (url, status) rows."""
    access = access_of(role, model, model_admin, obj if is_model(model) else None, root)
    history_id = latest_version(model, obj)
    rows = []
    for url in model_admin.urls:
        path = url_for(model, url, obj, history_id)
        expected = expected_status(role, model, url, access, outside_studio=outside_studio)
        response = client.get(path)
        assert response.status_code == expected, (role, label(model), url.name, path, response.status_code, expected)
        rows.append((path, response.status_code))
        if url.name == f"{model._meta.app_label}_{model._meta.model_name}_change" and response.status_code == 200:
            html = response.content.decode()
            assert bool(response.context["has_change_permission"]) == access.change, (role, label(model), "change")
            # A Save button only where there is something to save, and always there.
            inputs = editable_inputs(html, model)
            assert bool(SAVE_BUTTON.search(html)) == bool(inputs), (role, label(model), "save buttons", inputs)
    return rows


@pytest.mark.parametrize("role", ROLE_LIST)
@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=ADMIN_IDS)
def test_every_admin_url_answers_as_the_role_allows(client, roles, root, role, model, model_admin):
    user = StaffProfileFactory(role=role).user
    client.force_login(user)
    obj = make_object(model) if is_model(model) else None
    # Every object a factory makes belongs to a studio other than the studio user's own.
    outside = role == "studio" and is_model(model)
    rows = walk(client, role, model, model_admin, obj, root, outside_studio=outside)
    assert len(rows) >= 2  # at least the changelist and one more page of every admin
    if outside and not hidden_from_studio(model_admin):
        own = model._default_manager.filter(**{model_admin.studio_lookup: user.staff_profile.studio_id})
        assert not own.filter(pk=obj.pk).exists()
    if outside:
        # Writing through any of those URLs is refused the same way, before any view runs.
        for url in model_admin.urls:
            if _names_object(url):
                path = url_for(model, url, obj, latest_version(model, obj))
                assert client.post(path, {}).status_code == 404, (label(model), url.name)


@pytest.mark.parametrize(("model", "model_admin"), SCOPED_ADMINS, ids=[label(m) for m, _ in SCOPED_ADMINS])
def test_studio_staff_reach_their_own_objects_as_the_role_allows(client, roles, root, model, model_admin):
    obj = make_object(model)
    studio_id = model._default_manager.filter(pk=obj.pk).values_list(model_admin.studio_lookup, flat=True).get()
    user = StaffProfileFactory(role="studio", studio_id=studio_id).user
    client.force_login(user)
    rows = walk(client, "studio", model, model_admin, obj, root, outside_studio=False)
    assert any(status == 200 for _, status in rows)  # the studio role reads each of its models


def test_scoped_admins_cover_the_catalog_and_play():
    labels = {label(model) for model, _ in SCOPED_ADMINS}
    assert {
        "games.Studio",
        "games.Game",
        "games.CreditType",
        "games.Package",
        "games.GameSession",
        "games.Bet",
    } <= labels


def test_role_groups_match_roles_table(roles):
    for role in ROLE_LIST:
        group = Group.objects.get(name=group_name(role))
        for perm in group.permissions.select_related("content_type"):
            name = f"{perm.content_type.app_label}.{perm.codename}"
            assert role_holds(role, name), f"{role} holds {name}, which roles.py does not give it"
    assert Group.objects.get(name=group_name("admin")).permissions.count() == Permission.objects.count()


@pytest.mark.parametrize("role", ROLE_LIST)
@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=ADMIN_IDS)
def test_actions_offered_are_the_ones_the_role_may_run(roles, root, role, model, model_admin):
    user = StaffProfileFactory(role=role).user
    root_request, role_request = _request(root), _request(user)
    access = access_of(role, model, model_admin, None, root)
    root_actions = model_admin.get_actions(root_request)
    role_actions = set(model_admin.get_actions(role_request))
    expected = set()
    for name, (func, _, _) in root_actions.items():
        # An action that names no permission needs the change permission (PlatformModelAdmin).
        needed = getattr(func, "allowed_permissions", None) or ("change",)
        granted = {"view": access.view, "add": access.add, "change": access.change, "delete": access.delete}
        custom = {
            # The admin's own permissions, each backed by one Django permission.
            "erase": role_holds(role, "accounts.erase_customer"),
            "decide": role_holds(role, "ledger.change_adjustmentrequest"),
            "unfreeze": role_holds(role, "ledger.change_frozenowner"),
            "run": role_holds(role, "nodebyte_platform.run_job"),
            # Servers on the panel: suspend/unsuspend/reinstall, and create/terminate.
            "operate_server": role_holds(role, "games.operate_server"),
            "provision_server": role_holds(role, "games.provision_server"),
            # ReadOnlyAdmin: the actions of a record only services write, granted by the change permission.
            "operate": role_allows(role, model, "change"),
        }
        unknown = set(needed) - set(granted) - set(custom)
        assert not unknown, f"{label(model)}.{name} needs {unknown}: say here which permission backs it"
        if access.view and all({**granted, **custom}[p] for p in needed):
            expected.add(name)
    assert role_actions == expected, (role, label(model))


def test_nobody_deletes_a_player_superusers_included(client, roles, root):
    customer = CustomerFactory()
    for user in (root, StaffProfileFactory(role="admin").user, StaffProfileFactory(role="support").user):
        client.force_login(user)
        assert client.get(admin_url(type(customer), "delete", customer.pk)).status_code == 403
        assert client.post(admin_url(type(customer), "delete", customer.pk), {"post": "yes"}).status_code == 403
        listing = client.get(admin_url(type(customer), "changelist")).content.decode()
        assert 'value="delete_selected"' not in listing
        client.post(
            admin_url(type(customer), "changelist"),
            {"action": "delete_selected", "_selected_action": [customer.pk], "post": "yes"},
        )
        assert type(customer).objects.filter(pk=customer.pk).exists()


def test_support_cannot_delete_tickets_admin_can(client, roles):
    from support.models import Ticket
    from tests.factories.support import TicketFactory

    ticket = TicketFactory()
    client.force_login(StaffProfileFactory(role="support").user)
    assert client.get(admin_url(Ticket, "delete", ticket.pk)).status_code == 403
    client.post(admin_url(Ticket, "changelist"), {"action": "delete_selected", "_selected_action": [ticket.pk]})
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    client.force_login(StaffProfileFactory(role="admin").user)
    assert client.get(admin_url(Ticket, "delete", ticket.pk)).status_code == 200


def test_studio_cannot_read_or_revert_another_studios_package_history(client, roles):
    theirs = PackageFactory(gcoin_value="10.00", label="Their pack")
    theirs.gcoin_value = "25.00"
    theirs.save()  # a second version, so there is an older price to revert to
    old_version = theirs.history.order_by("history_date").first()
    mine = PackageFactory()
    client.force_login(StaffProfileFactory(role="studio", studio=mine.game.studio).user)

    assert client.get(admin_url(Package, "history", theirs.pk)).status_code == 404
    version_url = admin_url(Package, "simple_history", theirs.pk, old_version.history_id)
    assert client.get(version_url).status_code == 404
    revert = {"name": theirs.name, "label": theirs.label, "credit_value": 100, "gcoin_value": "0.01", "is_active": "on"}
    assert client.post(version_url, revert).status_code == 404
    theirs.refresh_from_db()
    assert theirs.gcoin_value == Decimal("25.00")

    own = client.get(admin_url(Package, "history", mine.pk))
    assert own.status_code == 200 and "Their pack" not in own.content.decode()


def test_studio_changelists_and_their_filters_name_nothing_of_another_studio(client, roles):
    mine = PackageFactory(label="Own pack")
    theirs = PackageFactory(label="Rival pack")
    studio = mine.game.studio
    assert theirs.game.studio != studio
    client.force_login(StaffProfileFactory(role="studio", studio=studio).user)
    rival_names = [theirs.game.studio.name, theirs.game.name, theirs.credit_type.label, theirs.label]
    own_of = {Studio: {studio.pk}, Game: {mine.game.pk}, CreditType: {mine.credit_type.pk}}
    for model, _ in SCOPED_ADMINS:
        response = client.get(admin_url(model, "changelist"))
        html = response.content.decode()
        assert response.status_code == 200, label(model)
        # "By studio" listed every studio: a filter shows only what the user may see (one
        # choice hides it), and no rival name appears anywhere on the page.
        for name in rival_names:
            assert f">{name}<" not in html and f"{name}\n" not in html, (label(model), name)
        for spec in response.context["cl"].filter_specs:
            field = getattr(spec, "field", None)
            if field is not None and field.is_relation:
                offered = {pk for pk, _ in spec.lookup_choices}
                assert offered <= own_of.get(field.related_model, set()), (label(model), spec.title, offered)


def test_studio_foreign_key_choices_and_autocomplete_are_their_own(client, roles):
    mine, theirs = CreditTypeFactory(), CreditTypeFactory()
    studio = mine.game.studio
    user = StaffProfileFactory(role="studio", studio=studio).user
    own_of = {Studio: {studio.pk}, Game: {mine.game.pk}, CreditType: {mine.pk}}
    assert theirs.game.studio_id != studio.pk
    request = _request(user)
    compared = 0
    for model, model_admin in SCOPED_ADMINS:
        for field in model._meta.get_fields():
            if not (getattr(field, "many_to_one", False) or getattr(field, "many_to_many", False)):
                continue
            if not field.editable or field.auto_created:
                continue
            method = model_admin.formfield_for_foreignkey if field.many_to_one else model_admin.formfield_for_manytomany
            formfield = method(field, request)
            if formfield is None:
                continue
            offered = set(formfield.queryset.values_list("pk", flat=True))
            assert offered <= own_of.get(field.related_model, set()), (label(model), field.name, offered)
            compared += 1
    assert compared >= 4

    client.force_login(user)
    autocompleted = 0
    for model, model_admin in SCOPED_ADMINS:
        for field_name in model_admin.autocomplete_fields:
            related = model._meta.get_field(field_name).related_model
            response = client.get(
                reverse("admin:autocomplete"),
                {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": field_name},
            )
            assert response.status_code == 200, (label(model), field_name, response.status_code)
            offered = {int(result["id"]) for result in response.json()["results"]}
            assert offered == own_of[related], (label(model), field_name, offered)
            autocompleted += 1
    assert autocompleted >= 3  # game -> studio, credit type -> game, package -> credit type


def test_studio_staff_sees_no_customer_personal_data(client, roles):
    customer = CustomerFactory(user__email="private@example.com")
    user = StaffProfileFactory(role="studio").user
    client.force_login(user)
    assert client.get(admin_url(type(customer), "changelist")).status_code == 403
    assert client.get(admin_url(type(customer), "change", customer.pk)).status_code == 404
    assert client.get(admin_url(type(customer.user), "changelist")).status_code == 403
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200 and b"private@example.com" not in response.content


@pytest.mark.parametrize("role", ROLE_LIST)
def test_the_sites_own_urls_answer_every_role(client, roles, role):
    """Index, app pages and the view-on-site shortcut (no model here has a public page: 404)."""
    user = StaffProfileFactory(role=role).user
    client.force_login(user)
    package = PackageFactory()
    assert client.get(reverse("admin:index")).status_code == 200
    for app_label in sorted({model._meta.app_label for model, _ in ADMINS}):
        visible = any(
            model._meta.app_label == app_label
            and not (role == "studio" and hidden_from_studio(model_admin))
            and any(role_allows(role, model, action) for action in ACTIONS)
            for model, model_admin in ADMINS
        )
        response = client.get(reverse("admin:app_list", args=[app_label]))
        assert response.status_code == (200 if visible else 404), (role, app_label, response.status_code)
    content_type = ContentType.objects.get_for_model(Package)
    assert client.get(reverse("admin:view_on_site", args=[content_type.pk, package.pk])).status_code == 404
