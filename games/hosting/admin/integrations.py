"""Panel and LMS integrations, their sync history, and Hytale tokens (secrets never shown)."""

from django.contrib import admin

from accounts.admin_base import LargeTablePaginator, PlatformModelAdmin, PlatformTabularInline, show_saved
from games import services
from games.admin.secrets import WriteOnlySecretsForm
from games.models import HytaleGameSession, HytaleToken, Integration, SyncLog


class IntegrationForm(WriteOnlySecretsForm):
    secret_fields = ("api_key", "api_secret")

    class Meta:
        model = Integration
        fields = ("kind", "name", "user", "url", "api_key", "api_secret", "status")


@admin.register(Integration)
class IntegrationAdmin(PlatformModelAdmin):
    form = IntegrationForm
    list_display = ("name", "kind", "url", "status", "last_sync_at")
    list_filter = ("kind", "status")
    search_fields = ("name", "url", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = ("last_sync_at", "last_error")

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
        }
        if change:
            saved = services.update_integration(integration=obj, **values)
        else:
            saved = services.create_integration(**values)
        show_saved(obj, saved)


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
        "duration_ms",
    )
    list_filter = ("status", "sync_type", "integration")
    search_fields = ("error_message", "integration__name")
    list_select_related = ("integration",)
    raw_id_fields = ("integration",)
    date_hierarchy = "created_at"

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
