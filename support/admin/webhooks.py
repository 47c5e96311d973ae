"""Partner webhook endpoints, Discord webhooks and the deliveries of both. Secrets and Discord URLs
are write-only: stored encrypted, a new endpoint secret is shown once, in the page's message."""

from django import forms
from django.contrib import admin, messages

from accounts.admin_base import LargeTablePaginator, PlatformModelAdmin, ReadOnlyAdmin, run_service, show_saved
from support import services
from support.errors import SupportError
from support.models import DiscordWebhook, WebhookDelivery, WebhookEndpoint

EVENT_CHOICES = [(name, f"{name}: {meaning}") for name, meaning in services.PARTNER_EVENT_TYPES.items()]


class WebhookEndpointForm(forms.ModelForm):
    event_types = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ("application", "url", "description", "event_types", "is_active")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(PlatformModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "application", "is_active", "failing_since", "disabled_at", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description", "application__name", "=public_id")
    list_select_related = ("application",)
    autocomplete_fields = ("application",)
    readonly_fields = ("public_id", "previous_secret_expires_at", "failing_since", "disabled_at", "disabled_reason")
    date_hierarchy = "created_at"
    actions = ("rotate_secret", "send_test")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "application") if obj is not None else readonly

    def has_delete_permission(self, request, obj=None):
        # The partner removes its own endpoints (API); staff switch one off, keeping its log.
        return False

    def save_model(self, request, obj, form, change):
        """New endpoints through create_endpoint (its secret shown this once), edits through update_endpoint."""
        data = form.cleaned_data
        if change:
            saved = services.update_endpoint(
                endpoint=obj,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
                is_active=data["is_active"],
            )
        else:
            saved, secret = services.create_endpoint(
                application=data["application"],
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
            )
            self.message_user(
                request, f"Signing secret (shown once, give it to the partner): {secret}", messages.WARNING
            )
        show_saved(obj, saved)

    @admin.action(description="Rotate the signing secret (the old one signs on during the overlap)")
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = services.rotate_endpoint_secret(endpoint=endpoint)
            self.message_user(request, f"{endpoint.url}: new secret (shown once): {secret}", messages.WARNING)

    @admin.action(description="Send a test event")
    def send_test(self, request, queryset):
        run_service(self, request, queryset, lambda e: services.send_test_event(endpoint=e), "test events queued")


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
        help_texts = {
            "message_template": "Placeholders such as {{server}}, {{status}}, {{subject}}, {{amount}}, {{message}}; "
            "empty for each event's default text."
        }

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

    def clean_message_template(self):
        try:
            return services.validate_template(self.cleaned_data.get("message_template", ""))
        except SupportError as exc:
            raise forms.ValidationError(exc.message, code=exc.code)


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
    readonly_fields = ("masked_webhook_url", "scope", "status", "last_validated_at", "failure_count", "failing_since")
    date_hierarchy = "created_at"
    actions = ("send_test",)

    @admin.display(description="Webhook URL")
    def masked_webhook_url(self, obj):
        return masked_url(obj.webhook_url)

    def save_model(self, request, obj, form, change):
        saved = services.save_discord_webhook(webhook=obj, new_url=form.cleaned_data.get("new_webhook_url", ""))
        show_saved(obj, saved)

    @admin.action(description="Send a test message")
    def send_test(self, request, queryset):
        run_service(self, request, queryset, lambda w: services.send_discord_test(webhook=w), "test messages queued")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "event",
        "receiver_name",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "event")
    search_fields = ("event", "dedupe_key", "message_id", "webhook__name", "endpoint__url")
    list_select_related = ("webhook", "endpoint")
    raw_id_fields = ("webhook", "endpoint", "replay_of")
    date_hierarchy = "created_at"
    paginator = LargeTablePaginator
    actions = ("replay",)

    @admin.display(description="receiver")
    def receiver_name(self, obj):
        return str(obj.receiver)

    @admin.action(description="Replay selected deliveries", permissions=["operate"])
    def replay(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda d: services.replay_delivery(delivery=d, by=request.user),
            "deliveries replayed",
        )
