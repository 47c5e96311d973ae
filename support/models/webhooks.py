"""Outbound webhooks: players' Discord webhooks (seed 004 discord_webhooks), partners' signed
endpoints (Standard Webhooks), and the delivery outbox both share."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from encrypted_fields.fields import EncryptedCharField


class WebhookScope(models.TextChoices):
    ACCOUNT = "account", "Account-wide"
    SERVER = "server", "One server"


class WebhookStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"


class DiscordWebhook(models.Model):
    """Seed 004 discord_webhooks: where to post events; the URL is a secret, encrypted at rest."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discord_webhooks")
    server = models.ForeignKey(
        "games.Server", on_delete=models.CASCADE, null=True, blank=True, related_name="discord_webhooks"
    )
    name = models.CharField(max_length=100)
    webhook_url = EncryptedCharField(max_length=500)
    scope = models.CharField(max_length=16, choices=WebhookScope.choices, default=WebhookScope.ACCOUNT)
    notify_server_events = models.BooleanField(default=True)
    notify_player_events = models.BooleanField(default=False)
    notify_backups = models.BooleanField(default=True)
    notify_billing = models.BooleanField(default=True)
    notify_tickets = models.BooleanField(default=False)
    message_template = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=WebhookStatus.choices, default=WebhookStatus.UNVERIFIED)
    last_validated_at = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["is_active", "status"], name="support_webhook_active_idx"),
            models.Index(fields=["status"], name="support_webhook_status_idx"),
            models.Index(fields=["scope"], name="support_webhook_scope_idx"),
            models.Index(fields=["created_at"], name="support_webhook_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="server") & Q(server__isnull=False)) | (Q(scope="account") & Q(server__isnull=True)),
                name="support_webhook_scope_matches_server",
            ),
        ]

    def __str__(self):
        return self.name


class WebhookEndpoint(models.Model):
    """A partner application's receiver of signed events (Standard Webhooks). The secret is
    encrypted at rest; after a rotation the previous one still signs until its overlap ends."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        "accounts.PartnerApplication", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=255, blank=True)
    event_types = models.JSONField(default=list, help_text="The event types this endpoint receives.")
    secret = EncryptedCharField(max_length=200)
    previous_secret = EncryptedCharField(max_length=200, null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["is_active"], name="support_endpoint_active_idx"),
            models.Index(fields=["created_at"], name="support_endpoint_created_idx"),
        ]

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one receiver (a Discord webhook or a partner endpoint): written in the
    transaction of the event (an outbox), sent after commit, retried until delivered or failed.
    `message_id` is the Standard Webhooks `webhook-id`, the same on every attempt, so a receiver
    that gets a message twice (a worker killed after sending) can tell."""

    webhook = models.ForeignKey(
        DiscordWebhook, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays")
    message_id = models.CharField(max_length=64, default="", blank=True)
    event = models.CharField(max_length=64)
    dedupe_key = models.CharField(max_length=191, unique=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="support_delivery_due_idx"),
            models.Index(fields=["created_at"], name="support_delivery_created_idx"),
            models.Index(fields=["event"], name="support_delivery_event_idx"),
            models.Index(fields=["status"], name="support_delivery_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(webhook__isnull=False) & Q(endpoint__isnull=True))
                | (Q(webhook__isnull=True) & Q(endpoint__isnull=False)),
                name="support_delivery_one_receiver",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.webhook or self.endpoint}"

    @property
    def receiver(self):
        return self.webhook or self.endpoint
