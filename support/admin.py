"""Staff pages of support: tickets with replies and internal notes, notifications, Discord webhooks.

Ticket state moves only through actions that call support.services; a webhook's URL
is write-only (stored encrypted, never shown back in clear).
"""

from django import forms
from django.contrib import admin

from accounts.admin_base import (
    CUSTOMER_SEARCH,
    LargeTablePaginator,
    PlatformModelAdmin,
    PlatformTabularInline,
    run_service,
    show_saved,
)
from support import services
from support.errors import SupportError
from support.models import (
    DiscordWebhook,
    Notification,
    NotificationSettings,
    Ticket,
    TicketReply,
    WebhookDelivery,
)


class TicketReplyInline(PlatformTabularInline):
    """The conversation so far, internal notes included; replies are never edited afterwards."""

    model = TicketReply
    fields = ("created_at", "author", "is_internal", "message")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "conversation"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class NewTicketReplyInline(PlatformTabularInline):
    """A blank row to write a reply or an internal note; saved through add_ticket_reply."""

    model = TicketReply
    fields = ("message", "is_internal")
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = "new reply"
    verbose_name_plural = "write a reply (tick internal for a staff-only note)"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


@admin.register(Ticket)
class TicketAdmin(PlatformModelAdmin):
    list_display = ("subject", "customer", "category", "priority", "status", "assigned_to", "created_at")
    list_filter = ("status", "priority", "category", "assigned_to")
    search_fields = ("subject", "message", "=public_id", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "assigned_to")
    raw_id_fields = ("customer", "server", "invoice")
    date_hierarchy = "created_at"
    inlines = (TicketReplyInline, NewTicketReplyInline)
    actions = ("assign_to_me", "close_tickets", "reopen_tickets")

    def get_readonly_fields(self, request, obj=None):
        always = ("public_id", "status", "assigned_to", "closed_at", "created_at", "updated_at")
        if obj is None:
            return always
        return (*always, "customer", "server", "invoice", "message")

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """A new ticket through open_ticket (the server and invoice must be the customer's); edits of
        its subject, category and priority through update_ticket."""
        data = form.cleaned_data
        if change:
            saved = services.update_ticket(
                ticket=obj,
                subject=data["subject"],
                category=data["category"],
                priority=data["priority"],
                by=request.user,
            )
        else:
            saved = services.open_ticket(
                customer=data["customer"],
                subject=data["subject"],
                message=data["message"],
                category=data["category"],
                priority=data["priority"],
                server=data["server"],
                invoice=data["invoice"],
            )
        show_saved(obj, saved)

    def save_formset(self, request, form, formset, change):
        """A new reply through add_ticket_reply; a refusal (a closed ticket) rolls the whole save back
        and comes back on the form. The conversation's rows are never written here."""
        if formset.model is not TicketReply:
            super().save_formset(request, form, formset, change)
            return
        # The admin's change message reads these; replies are only ever added, never edited.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for reply_form in formset.forms:
            data = getattr(reply_form, "cleaned_data", None)
            if reply_form.instance.pk or not data or not data.get("message"):
                continue
            reply = services.add_ticket_reply(
                ticket=form.instance,
                author=request.user,
                message=data["message"],
                is_internal=data.get("is_internal", False),
            )
            formset.new_objects.append(reply)

    @admin.action(description="Assign selected tickets to me")
    def assign_to_me(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda t: services.assign_ticket(ticket=t, assignee=request.user, by=request.user),
            "tickets assigned",
        )

    @admin.action(description="Close selected tickets")
    def close_tickets(self, request, queryset):
        run_service(
            self, request, queryset, lambda t: services.close_ticket(ticket=t, by=request.user), "tickets closed"
        )

    @admin.action(description="Reopen selected tickets")
    def reopen_tickets(self, request, queryset):
        run_service(
            self, request, queryset, lambda t: services.reopen_ticket(ticket=t, by=request.user), "tickets reopened"
        )


@admin.register(Notification)
class NotificationAdmin(PlatformModelAdmin):
    list_display = ("title", "user", "type", "read", "created_at")
    list_filter = ("type", "read")
    search_fields = ("title", "message", "user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    date_hierarchy = "created_at"
    paginator = LargeTablePaginator

    def has_add_permission(self, request):
        # Notifications are the platform's messages to a player: read here, never typed in.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(PlatformModelAdmin):
    list_display = ("user", "low_balance_threshold", "notification_email", "updated_at")
    search_fields = ("user__username", "user__email", "notification_email")
    list_filter = ("created_at",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Settings belong to their user for good.
        return (*readonly, "user") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        """Through support.services: a threshold of 0 or more, known notification types only."""
        data = form.cleaned_data
        saved = services.save_notification_settings(
            user=obj.user if change else data["user"],
            low_balance_threshold=data["low_balance_threshold"],
            notification_email=data["notification_email"],
            type_preferences=data["type_preferences"],
        )
        show_saved(obj, saved)


class DiscordWebhookForm(forms.ModelForm):
    new_webhook_url = forms.CharField(
        label="Webhook URL",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Write-only: stored encrypted and never shown again. Leave blank to keep the current URL.",
    )

    class Meta:
        model = DiscordWebhook
        # webhook_url is never a form field: it is written through new_webhook_url only.
        fields = (
            "owner",
            "server",
            "name",
            "notify_server_events",
            "notify_player_events",
            "notify_backups",
            "notify_billing",
            "notify_tickets",
            "message_template",
            "is_active",
        )

    def clean_new_webhook_url(self):
        url = self.cleaned_data.get("new_webhook_url", "")
        if not url and not self.instance.pk:
            raise forms.ValidationError("A new webhook needs its URL.")
        if url:
            try:
                return services.validate_webhook_url(url)
            except SupportError as exc:
                raise forms.ValidationError(exc.message, code=exc.code)
        return url


def masked_url(url: str) -> str:
    if not url:
        return "—"
    head, _, _token = url.rpartition("/")
    return f"{head}/••••••" if head else "••••••"


@admin.register(DiscordWebhook)
class DiscordWebhookAdmin(PlatformModelAdmin):
    form = DiscordWebhookForm
    list_display = ("name", "owner", "server", "scope", "status", "is_active", "masked_webhook_url")
    list_filter = ("is_active", "status", "scope")
    search_fields = ("name", "owner__username", "owner__email", "server__name")
    list_select_related = ("owner", "server")
    raw_id_fields = ("owner", "server")
    readonly_fields = ("masked_webhook_url", "scope", "status", "last_validated_at", "failure_count")
    date_hierarchy = "created_at"

    @admin.display(description="Webhook URL")
    def masked_webhook_url(self, obj):
        return masked_url(obj.webhook_url)

    def save_model(self, request, obj, form, change):
        services.save_discord_webhook(webhook=obj, new_url=form.cleaned_data.get("new_webhook_url", ""))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(PlatformModelAdmin):
    list_display = ("event", "webhook", "status", "attempts", "response_status", "next_attempt_at", "created_at")
    list_filter = ("status", "event")
    search_fields = ("event", "dedupe_key", "webhook__name")
    list_select_related = ("webhook",)
    raw_id_fields = ("webhook",)
    date_hierarchy = "created_at"
    paginator = LargeTablePaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
