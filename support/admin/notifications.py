"""Notifications (read-only: the platform's messages to people) and notification settings."""

from django.contrib import admin

from accounts.admin_base import LargeTablePaginator, PlatformModelAdmin, ReadOnlyAdmin, show_saved
from support import services
from support.models import Notification, NotificationSettings


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("title", "user", "type", "read", "email_status", "created_at")
    list_filter = ("type", "read", "email_status", "in_app")
    search_fields = ("title", "user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"
    paginator = LargeTablePaginator


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(PlatformModelAdmin):
    list_display = ("user", "low_balance_threshold", "notification_email", "updated_at")
    search_fields = ("user__username", "user__email", "notification_email")
    list_filter = ("created_at",)
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Settings belong to their user for good.
        return (*readonly, "user") if obj is not None else readonly

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through support.services: a threshold of 0 or more, known notification types only, and
        forced types left on."""
        data = form.cleaned_data
        saved = services.save_notification_settings(
            user=obj.user if change else data["user"],
            low_balance_threshold=data["low_balance_threshold"],
            notification_email=data["notification_email"],
            type_preferences=data["type_preferences"],
        )
        show_saved(obj, saved)
