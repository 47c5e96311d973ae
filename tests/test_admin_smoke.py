"""Every ModelAdmin of the six project apps answers a superuser, and its changelist costs the
same number of queries with 50 rows as with 1; every change and history page of every
registered model, the libraries' included, opens without a 500.

Runs over whatever is registered on admin.site, so it stays correct as apps add admins.
Add forms answer 200, or 403 where the admin deliberately forbids adding
(`has_add_permission` is False: ledger rows, records born in services, computed rows).
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.admin_objects import is_model, latest_version, make_object, registered_admins
from tests.factories.accounts import SuperUserFactory
from tests.model_registry import PROJECT_APPS, factories_by_model, label

# A changelist may differ by a query or two between 1 and 50 rows only through caches
# warming (content types, constance); never by one query per row.
QUERY_SLACK = 2

ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ),
    key=lambda pair: label(pair[0]),
)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser_client(client):
    user = SuperUserFactory()
    client.force_login(user)
    client.user = user
    return client


def make_rows(model, count):
    factory_class = factories_by_model().get(model)
    if factory_class is None:
        pytest.fail(f"{label(model)} has no factory in tests/factories/")
    return [factory_class() for _ in range(count)]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    return len(ctx.captured_queries)


def test_every_project_app_has_admins():
    registered = {model._meta.app_label for model, _ in ADMINS}
    assert registered == set(PROJECT_APPS), f"apps without any ModelAdmin: {set(PROJECT_APPS) - registered}"


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=[label(m) for m, _ in ADMINS])
def test_admin_pages_answer_a_superuser(superuser_client, model, model_admin):
    row = make_rows(model, 1)[0]
    client = superuser_client

    assert client.get(admin_url(model, "changelist")).status_code == 200
    assert client.get(admin_url(model, "changelist"), {"q": "zz-no-match 42"}).status_code == 200
    if model_admin.search_fields:
        assert client.get(admin_url(model, "changelist"), {"q": str(row)[:20]}).status_code == 200

    request = RequestFactory().get("/")
    request.user = client.user
    add = client.get(admin_url(model, "add"))
    expected_add = 200 if model_admin.has_add_permission(request) else 403
    assert add.status_code == expected_add, f"add form answered {add.status_code}, expected {expected_add}"

    change = client.get(admin_url(model, "change", row.pk))
    assert change.status_code == 200, f"change form answered {change.status_code}"


ALL_ADMINS = registered_admins()
# Pages that deliberately answer something else than 200 to a superuser, and why.
NOT_A_PAGE = {
    # A settings page dressed as a model: it has no rows, and its `<id>/change/` URL redirects
    # to the settings page so that "Recent actions" links land somewhere useful.
    ("constance.Config", "change"): 302,
}


def page_urls(model, model_admin, obj):
    """The change and history pages of one object, plus each django-simple-history version page."""
    if not is_model(model):
        return {"change": admin_url(model, "change", "any"), "history": admin_url(model, "history")}
    urls = {"change": admin_url(model, "change", obj.pk), "history": admin_url(model, "history", obj.pk)}
    version = latest_version(model, obj)
    if version is not None:
        urls["history version"] = admin_url(model, "simple_history", obj.pk, version)
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), ALL_ADMINS, ids=[label(m) for m, _ in ALL_ADMINS])
def test_every_change_and_history_page_opens_for_a_superuser(superuser_client, model, model_admin):
    obj = make_object(model) if is_model(model) else None
    for page, url in page_urls(model, model_admin, obj).items():
        response = superuser_client.get(url)
        expected = NOT_A_PAGE.get((label(model), page), 200)
        assert response.status_code == expected, f"{label(model)} {page} page {url} answered {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=[label(m) for m, _ in ADMINS])
def test_changelist_queries_do_not_grow_with_rows(superuser_client, model, model_admin):
    url = admin_url(model, "changelist")
    make_rows(model, 1)
    superuser_client.get(url)  # warm per-process caches (content types, sessions)
    with_one = count_queries(superuser_client, url)
    make_rows(model, 49)
    with_fifty = count_queries(superuser_client, url)
    assert with_fifty <= with_one + QUERY_SLACK, (
        f"{label(model)} changelist: {with_one} queries with 1 row, {with_fifty} with 50"
    )


def leading_indexed_fields(model) -> set:
    """Fields a lookup can use an index for: indexed, unique, FK, or first column of an index/unique."""
    fields = {f.name for f in model._meta.concrete_fields if f.db_index or f.unique or f.primary_key or f.is_relation}
    fields |= {f.name for f in model._meta.many_to_many}  # the through table is indexed on both keys
    fields |= {index.fields[0].lstrip("-") for index in model._meta.indexes if index.fields}
    fields |= {c.fields[0] for c in model._meta.constraints if getattr(c, "fields", None)}
    return fields


def filter_field_names(model_admin) -> list:
    names = []
    for spec in model_admin.list_filter:
        if isinstance(spec, tuple | list):
            spec = spec[0]
        if isinstance(spec, str):
            names.append(spec.split("__")[0])
    if model_admin.date_hierarchy:
        names.append(model_admin.date_hierarchy.split("__")[0])
    return names


@pytest.mark.parametrize(("model", "model_admin"), ADMINS, ids=[label(m) for m, _ in ADMINS])
def test_every_admin_filter_has_an_index(model, model_admin):
    indexed = leading_indexed_fields(model)
    missing = [name for name in filter_field_names(model_admin) if name not in indexed]
    assert not missing, f"{label(model)}: admin filters on unindexed fields {missing}"
