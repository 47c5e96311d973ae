"""Pieces of admin pages every app uses: paging of big tables, actions that call a service,
the confirmation step of an action, and the rule that a page with nothing to edit offers no Save."""

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db import connections
from django.forms.formsets import DELETION_FIELD_NAME
from django.template.response import TemplateResponse
from django.utils.functional import cached_property

from nodebyte_platform.errors import DomainError

# How staff look a player up from any row that points at a Customer.
CUSTOMER_SEARCH = ("customer__nickname", "customer__user__username", "customer__user__email")
# The submit button of an action's confirmation page; present only once the user confirmed.
CONFIRM_FIELD = "confirm"


class LargeTablePaginator(Paginator):
    """Pages a large append-only table without a full COUNT(*) on every page.

    An unfiltered changelist on PostgreSQL takes the planner's row estimate once the
    table is big enough for the count to hurt; small tables and filtered lists count.
    """

    estimate_above = 100_000

    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > self.estimate_above:
                return row[0]
        return super().count


def run_service(modeladmin, request, queryset, call, done: str) -> None:
    """Apply `call(obj)` to each selected row of an admin action; report the successes and
    each refusal with its stable code, so one bad row never hides what happened to the others."""
    succeeded = 0
    for obj in queryset:
        try:
            call(obj)
            succeeded += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message} ({exc.code})", messages.ERROR)
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)


def action_confirmed(request) -> bool:
    """Did this action request come from the submit button of its confirmation page?"""
    return request.POST.get(CONFIRM_FIELD) == "yes"


def action_confirmation_page(
    modeladmin,
    request,
    queryset,
    *,
    title: str,
    intro: str,
    headers: list[str],
    rows: list[list],
    submit: str,
    totals: list[str] = (),
    form: forms.Form | None = None,
    danger: bool = False,
) -> TemplateResponse:
    """The page between choosing an action and running it: what it will do to which rows.

    It posts back to the changelist with the same action and selection, plus CONFIRM_FIELD
    and the form's fields, so the action runs its service only on that second request.
    """
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "intro": intro,
        "opts": opts,
        "app_label": opts.app_label,
        "table": {"headers": headers, "rows": rows},
        "totals": totals,
        "form": form,
        "submit_label": submit,
        "danger": danger,
        "queryset": queryset,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_field": CONFIRM_FIELD,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/action_confirmation.html", context)


def page_has_something_to_edit(context) -> bool:
    """Does a change form hold any input the user may change (main form or inline rows)?

    Read-only fields are not in the form at all, and view-only users get a form without
    fields; inline rows count when the user may add to, change or delete from them.
    """
    adminform = context.get("adminform")
    if adminform is not None and any(not field.is_hidden for field in adminform.form):
        return True
    for inline in context.get("inline_admin_formsets", ()):
        formset = inline.formset
        readonly = set(inline.readonly_fields)
        for form in formset.initial_forms if inline.has_change_permission else ():
            if any(f.name not in readonly and f.name != DELETION_FIELD_NAME for f in form.visible_fields()):
                return True
        room_for_more = formset.extra_forms or formset.max_num is None or len(formset.forms) < formset.max_num
        if inline.has_add_permission and room_for_more:
            new_row = formset.empty_form.visible_fields()
            if any(f.name not in readonly and f.name != DELETION_FIELD_NAME for f in new_row):
                return True
        if inline.has_delete_permission and formset.can_delete and formset.initial_forms:
            return True
    return False


SAVE_BUTTONS = ("show_save", "show_save_and_continue", "show_save_and_add_another", "show_save_as_new")


class SaveOnlyWhatCanChangeMixin:
    """No Save buttons on a page the user can only read (view permission, or every field read-only).

    Django hides them only for view-only users, and shows them again as soon as an inline
    counts as editable, even one whose every column is read-only.
    """

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if not page_has_something_to_edit(context):
            context.update(dict.fromkeys(SAVE_BUTTONS, False))
        return super().render_change_form(request, context, add, change, form_url, obj)


def service_form_page(modeladmin, request, *, title: str, form, summary=(), submit: str, obj=None) -> TemplateResponse:
    """The page of an object action that asks for a reason or a confirmation before calling its service."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "form": form,
        "summary": summary,
        "submit": submit,
        "original": obj,
    }
    return TemplateResponse(request, "admin/service_form.html", context)
