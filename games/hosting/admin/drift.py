"""Drift findings: where the panel and we disagree, with the two ways to settle each."""

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin, run_service
from games.hosting import drift
from games.hosting.models import DriftFinding, PanelUser


@admin.register(DriftFinding)
class DriftFindingAdmin(ReadOnlyAdmin):
    list_display = ("server", "field", "origin", "our_value", "panel_value", "synced_value", "status", "created_at")
    list_filter = ("status", "integration")
    search_fields = ("server__name", "server__identifier", "=server__uuid")
    list_select_related = ("server", "integration", "sync_log")
    raw_id_fields = ("server", "integration", "sync_log", "resolved_by")
    date_hierarchy = "created_at"
    actions = ("take_panel_value", "push_our_value")

    @admin.action(description="Take the panel's value (our server changes)", permissions=["operate"])
    def take_panel_value(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda f: drift.take_panel_value(finding=f, by=request.user),
            "findings settled with the panel's value",
        )

    @admin.action(description="Push ours to the panel (the panel changes)", permissions=["operate"])
    def push_our_value(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda f: drift.push_our_value(finding=f, by=request.user),
            "findings settled by pushing ours to the panel",
        )


@admin.register(PanelUser)
class PanelUserAdmin(ReadOnlyAdmin):
    list_display = ("username", "email", "integration", "external_id", "customer", "removed_on_panel_at")
    list_filter = ("integration",)
    search_fields = ("username", "email", "customer__user__username")
    list_select_related = ("integration", "customer__user")
    raw_id_fields = ("integration", "customer")
