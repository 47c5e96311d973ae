"""Every admin save of a project model goes through a service, or its admin says why it need not.

Inspects every ModelAdmin registered for a model of the project's apps, as a superuser sees
it (the widest view), on its add form and on the change form of a real row: either the form
has no field anyone can edit (a read-only record), or a project class overrides `save_model`
(to call a service), or the admin declares `plain_save` with its reason. Each inline whose
rows can be added, edited or deleted needs its parent admin to override `save_formset`, or
the inline to declare `plain_save`. Runs over whatever is registered, so a new admin is
covered the day it is added.
"""

import pytest
from django.contrib.admin.utils import flatten_fieldsets
from django.forms import HiddenInput
from django.test import RequestFactory

from accounts.admin_base import PlatformModelAdmin
from tests.admin_objects import make_object
from tests.factories.accounts import SuperUserFactory
from tests.model_registry import PROJECT_APPS, label
from tests.test_admin_smoke import ADMINS

# The shared base refuses hand-written saves; what it defines does not count as an override.
BASE_MODULE = "accounts.admin_base"


def defined_in_project(admin_class, method: str) -> bool:
    """Is the `method` an admin runs defined by one of the project's own admin classes?"""
    for cls in admin_class.__mro__:
        if method in cls.__dict__:
            module = cls.__module__
            return module.split(".")[0] in PROJECT_APPS and not module.startswith(BASE_MODULE)
    return False


def has_reason(admin_or_inline) -> bool:
    """`plain_save` is a sentence saying why no service is needed, not a bare flag."""
    reason = getattr(admin_or_inline, "plain_save", None)
    return isinstance(reason, str) and len(reason.split()) >= 5


def editable_fields(form_class) -> list[str]:
    return [
        name
        for name, field in form_class.base_fields.items()
        if not field.disabled and not isinstance(field.widget, HiddenInput)
    ]


def main_form_fields(model_admin, request, obj) -> list[str]:
    if obj is None and not model_admin.has_add_permission(request):
        return []
    if obj is not None and not model_admin.has_change_permission(request, obj):
        return []
    fields = flatten_fieldsets(model_admin.get_fieldsets(request, obj))
    return editable_fields(model_admin.get_form(request, obj, change=obj is not None, fields=fields))


def inline_writes(inline, request, obj) -> list[str]:
    """What a user could write through this inline on this page: its editable columns, "delete"."""
    formset = inline.get_formset(request, obj, fields=flatten_fieldsets(inline.get_fieldsets(request, obj)))
    writes = []
    can_add = inline.has_add_permission(request, obj) and (formset.max_num is None or formset.max_num > 0)
    if can_add or (obj is not None and inline.has_change_permission(request, obj)):
        fk_name = getattr(formset, "fk", None) and formset.fk.name
        writes += [name for name in editable_fields(formset.form) if name not in ("id", fk_name)]
    if obj is not None and formset.can_delete and inline.has_delete_permission(request, obj):
        writes.append("delete")
    return writes


@pytest.fixture
def superuser_request(db):
    request = RequestFactory().get("/")
    request.user = SuperUserFactory()
    return request


def save_problems(model_admin, request, obj) -> list[str]:
    """What this admin would write with Django's default save, on its add form and obj's change form."""
    problems = []
    for page, instance in (("add", None), ("change", obj)):
        fields = main_form_fields(model_admin, request, instance)
        if fields and not defined_in_project(type(model_admin), "save_model") and not has_reason(model_admin):
            problems.append(f"{page} form edits {fields} with Django's default save")
        for inline in model_admin.get_inline_instances(request, instance):
            writes = inline_writes(inline, request, instance)
            if writes and not defined_in_project(type(model_admin), "save_formset") and not has_reason(inline):
                problems.append(f"{page} form's {type(inline).__name__} writes {writes} with Django's default save")
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=[label(m) for m, _ in ADMINS])
def test_every_admin_save_calls_a_service_or_says_why_not(superuser_request, model, model_admin):
    assert isinstance(model_admin, PlatformModelAdmin), f"{type(model_admin).__name__} is not on the shared base"
    problems = save_problems(model_admin, superuser_request, make_object(model))
    assert not problems, f"{type(model_admin).__name__} ({label(model)}): " + "; ".join(problems)


def test_the_inspection_finds_an_admin_or_inline_that_saves_by_hand(superuser_request):
    from django.contrib import admin

    from accounts.admin_base import PlatformTabularInline
    from games.models import Game, Package, Studio

    class PackageRows(PlatformTabularInline):
        model = Package
        fields = ("label",)

    class HandSavedGameAdmin(PlatformModelAdmin):
        fields = ("name", "description")
        inlines = (PackageRows,)

    class ExplainedStudioAdmin(PlatformModelAdmin):
        plain_save = "Reference rows of this test, with no rule behind their names."

    site = admin.AdminSite(name="inspection_test")
    site.register(Game, HandSavedGameAdmin)
    site.register(Studio, ExplainedStudioAdmin)
    package = make_object(Package)

    problems = save_problems(site._registry[Game], superuser_request, package.game)
    assert problems == [
        "add form edits ['name', 'description'] with Django's default save",
        "add form's PackageRows writes ['label'] with Django's default save",
        "change form edits ['name', 'description'] with Django's default save",
        "change form's PackageRows writes ['label', 'delete'] with Django's default save",
    ]
    assert save_problems(site._registry[Studio], superuser_request, package.game.studio) == []
