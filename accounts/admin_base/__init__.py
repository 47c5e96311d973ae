"""The base every ModelAdmin of the platform inherits.

It carries the rules that hold in every changelist, form and action:
- studio staff see only their own studio's rows (`studio_lookup` names the path from the
  model to games.Studio; a model without one is hidden from them): every URL that names an
  object (404), changelists, list filters, foreign-key and many-to-many choices,
  autocomplete results, permissions (scoping.py);
- money fields are read-only;
- saves go through services: the base writes a row by hand only for an admin that declares
  `plain_save` with its reason, and a service's refusal comes back on the form (saving.py);
- records written only by services and jobs use ReadOnlyAdmin; models with
  django-simple-history use PlatformHistoryAdmin, whose revert is a change like any other;
- a page with nothing the user may change offers no Save buttons;
- every change a staff member makes through the admin (add, change, delete, inline rows,
  each admin action, each unfold row/detail/submit-line action) leaves an
  accounts.AuditEntry with before and after snapshots (auditing.py).
"""

from django.core import checks
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, StackedInline, TabularInline

from accounts.admin_base.auditing import AuditedAdminMixin
from accounts.admin_base.pages import (
    CUSTOMER_SEARCH,
    LargeTablePaginator,
    SaveOnlyWhatCanChangeMixin,
    action_confirmation_page,
    action_confirmed,
    page_has_something_to_edit,
    run_service,
    service_form_page,
)
from accounts.admin_base.saving import HistoryRevertMixin, InlineSaveMixin, ServiceSaveMixin, show_saved, writes_rows
from accounts.admin_base.scoping import (
    ScopedRelatedFieldListFilter,
    StudioScopedMixin,
    is_studio_staff,
    scope_related_queryset,
    staff_studio_id,
)


class PlatformModelAdmin(
    ServiceSaveMixin, AuditedAdminMixin, SaveOnlyWhatCanChangeMixin, StudioScopedMixin, ModelAdmin
):
    list_per_page = 50
    show_full_result_count = False
    # Fields holding money; always shown read-only (balances move only through services).
    money_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly + tuple(f for f in self.money_fields if f not in readonly)

    def check(self, **kwargs):
        """django-simple-history's admin on a model without HistoricalRecords answers its
        history page with a 500: refuse the pairing at start-up instead."""
        errors = super().check(**kwargs)
        if isinstance(self, SimpleHistoryAdmin) and not hasattr(self.model._meta, "simple_history_manager_attribute"):
            errors.append(
                checks.Error(
                    f"{type(self).__name__} uses SimpleHistoryAdmin but {self.model._meta.label} has no "
                    "HistoricalRecords.",
                    hint="Drop SimpleHistoryAdmin (Django's own history page lists the admin's changes) "
                    "or give the model `history = HistoricalRecords()`.",
                    obj=type(self),
                    id="accounts.E001",
                )
            )
        return errors


class ReadOnlyAdmin(PlatformModelAdmin):
    """Records written only by services and jobs: viewable, never added, edited or deleted here.

    Their actions call services. An action that changes state names `permissions=["operate"]`,
    which the role's change permission on the model grants (the change form itself stays closed).
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_operate_permission(self, request, obj=None):
        return super().has_change_permission(request, obj)


class PlatformHistoryAdmin(HistoryRevertMixin, SimpleHistoryAdmin, PlatformModelAdmin):
    """For models with django-simple-history: the History button lists versions, and reverting to
    one is a change (change permission, one transaction, the admin's save_model)."""


class PlatformTabularInline(InlineSaveMixin, StudioScopedMixin, TabularInline):
    extra = 0


class PlatformStackedInline(InlineSaveMixin, StudioScopedMixin, StackedInline):
    extra = 0


__all__ = [
    "CUSTOMER_SEARCH",
    "AuditedAdminMixin",
    "LargeTablePaginator",
    "PlatformHistoryAdmin",
    "PlatformModelAdmin",
    "PlatformStackedInline",
    "PlatformTabularInline",
    "ReadOnlyAdmin",
    "SaveOnlyWhatCanChangeMixin",
    "ScopedRelatedFieldListFilter",
    "StudioScopedMixin",
    "action_confirmation_page",
    "action_confirmed",
    "is_studio_staff",
    "page_has_something_to_edit",
    "run_service",
    "scope_related_queryset",
    "service_form_page",
    "show_saved",
    "staff_studio_id",
    "writes_rows",
]
