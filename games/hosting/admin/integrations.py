"""Panel and LMS integrations, their sync history, and Hytale tokens (secrets never shown)."""

from django.contrib import admin, messages

from accounts.admin_base import LargeTablePaginator, PlatformModelAdmin, PlatformTabularInline, show_saved
from games import services
from games.admin.secrets import WriteOnlySecretsForm
from games.errors import GameError
from games.hosting import integrations as connections
from games.hosting import sync
from games.hosting.models import (
    DriftFinding,
    HytaleGameSession,
    HytaleToken,
    Integration,
    IntegrationKind,
    SyncLog,
    SyncStatus,
)


class IntegrationForm(WriteOnlySecretsForm):
    secret_fields = ("api_key", "api_secret")

    class Meta:
        model = Integration
        fields = ("kind", "name", "user", "url", "api_key", "api_secret", "status", "sync_interval_minutes")


@admin.register(Integration)
class IntegrationAdmin(PlatformModelAdmin):
    form = IntegrationForm
    list_display = ("name", "kind", "url", "status", "sync_interval_minutes", "last_sync_at", "last_error")
    list_filter = ("kind", "status")
    search_fields = ("name", "url", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = ("last_sync_at", "last_error")
    actions = ("test_connection", "sync_now")

    @admin.action(description="Test connection", permissions=["change"])
    def test_connection(self, request, queryset):
        for integration in queryset:
            try:
                answer = connections.check_connection(integration=integration)
            except GameError as exc:
                self.message_user(request, f"{integration}: {exc.message} ({exc.code})", messages.ERROR)
            else:
                counts = ", ".join(f"{v} {k}" for k, v in answer.items())
                self.message_user(
                    request, f"{integration}: connected, the panel answered ({counts}).", messages.SUCCESS
                )

    @admin.action(description="Sync now (every entity)", permissions=["change"])
    def sync_now(self, request, queryset):
        """Runs in the request so the operator sees the run's counts; the schedule syncs the rest."""
        for integration in queryset:
            if integration.kind not in (IntegrationKind.PTERODACTYL,):
                self.message_user(
                    request, f"{integration}: no panel sync for {integration.get_kind_display()}.", messages.ERROR
                )
                continue
            try:
                log = sync.sync_integration(integration=integration)
            except GameError as exc:
                self.message_user(request, f"{integration}: {exc.message} ({exc.code})", messages.ERROR)
                continue
            level = messages.SUCCESS if log.status == SyncStatus.COMPLETED else messages.ERROR
            drifted = log.metadata.get("drift_findings", 0)
            summary = f"{log.records_synced} synced, {log.records_failed} failed, {drifted} drift findings"
            self.message_user(
                request,
                f"{integration}: sync {log.get_status_display().lower()} ({summary}). {log.error_message}",
                level,
            )

    def save_model(self, request, obj, form, change):
        """Through games.services: https URLs only, panels without an owner, a kind that never changes."""
        data = form.cleaned_data
        values = {
            "kind": data["kind"],
            "name": data["name"],
            "url": data["url"],
            "user": data["user"],
            "status": data["status"],
            "api_key": data["api_key"],
            "api_secret": data["api_secret"],
            "sync_interval_minutes": data["sync_interval_minutes"],
        }
        if change:
            saved = services.update_integration(integration=obj, **values)
        else:
            saved = services.create_integration(**values)
        show_saved(obj, saved)


class DriftFindingOfRunInline(PlatformTabularInline):
    model = DriftFinding
    fields = ("server", "field", "origin", "our_value", "panel_value", "status")
    readonly_fields = fields
    can_delete = False
    max_num = 0
    verbose_name_plural = "drift found by this run"


@admin.register(SyncLog)
class SyncLogAdmin(PlatformModelAdmin):
    paginator = LargeTablePaginator
    list_display = (
        "created_at",
        "integration",
        "sync_type",
        "status",
        "records_synced",
        "records_failed",
        "records_total",
        "duration_ms",
        "error_message",
    )
    list_filter = ("status", "sync_type", "integration")
    search_fields = ("error_message", "integration__name")
    list_select_related = ("integration",)
    raw_id_fields = ("integration",)
    date_hierarchy = "created_at"
    inlines = (DriftFindingOfRunInline,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class HytaleGameSessionInline(PlatformTabularInline):
    model = HytaleGameSession
    fields = ("server", "expires_at", "created_at")
    readonly_fields = fields
    can_delete = False
    max_num = 0


@admin.register(HytaleToken)
class HytaleTokenAdmin(PlatformModelAdmin):
    list_display = ("customer", "profile_username", "scope", "expires_at", "updated_at")
    search_fields = ("profile_username", "=profile_uuid", "customer__user__username")
    list_filter = ("expires_at",)
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)
    date_hierarchy = "expires_at"
    # The tokens themselves are never shown: they act for the player at Hytale.
    fields = ("customer", "profile_uuid", "profile_username", "scope", "expires_at", "created_at", "updated_at")
    readonly_fields = fields
    inlines = (HytaleGameSessionInline,)

    def has_add_permission(self, request):
        return False


@admin.register(HytaleGameSession)
class HytaleGameSessionAdmin(PlatformModelAdmin):
    list_display = ("pk", "token", "server", "expires_at", "created_at")
    list_filter = ("expires_at",)
    search_fields = ("token__profile_username", "server__name")
    list_select_related = ("token__customer__user", "server")
    raw_id_fields = ("token", "server")
    date_hierarchy = "created_at"
    fields = ("token", "server", "expires_at", "created_at", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
