"""Support tickets, notifications and Discord webhooks (seed 004 support_tickets,
support_ticket_replies, discord_webhooks; seed 003 notifications, notification_settings)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition
from encrypted_fields.fields import EncryptedCharField

from ledger.models import AMOUNT


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class TicketCategory(models.TextChoices):
    GENERAL = "general", "General"
    BILLING = "billing", "Billing"
    TECHNICAL = "technical", "Technical"
    ACCOUNT = "account", "Account"


class Ticket(models.Model):
    """Seed 004 support_tickets: a customer request with status, priority and an assignee."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="tickets")
    server = models.ForeignKey("games.Server", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=191)
    message = models.TextField()
    category = models.CharField(max_length=16, choices=TicketCategory.choices, default=TicketCategory.GENERAL)
    priority = models.CharField(max_length=8, choices=TicketPriority.choices, default=TicketPriority.MEDIUM)
    status = FSMField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN, protected=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_tickets"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "priority"], name="support_ticket_status_idx"),
            models.Index(fields=["created_at"], name="support_ticket_created_idx"),
            models.Index(fields=["category"], name="support_ticket_category_idx"),
            models.Index(fields=["priority"], name="support_ticket_priority_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="support_ticket_closed_has_time"
            ),
        ]

    def __str__(self):
        return self.subject

    @transition(field=status, source=TicketStatus.OPEN, target=TicketStatus.IN_PROGRESS)
    def start(self, *, assignee=None):
        if assignee is not None:
            self.assigned_to = assignee

    @transition(field=status, source=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS], target=TicketStatus.CLOSED)
    def close(self):
        self.closed_at = timezone.now()

    @transition(field=status, source=TicketStatus.CLOSED, target=TicketStatus.OPEN)
    def reopen(self):
        self.closed_at = None


class TicketReply(models.Model):
    """Seed 004 support_ticket_replies: a reply, or a staff-only internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Internal notes are never shown to the customer.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "ticket replies"

    def __str__(self):
        return f"Reply to {self.ticket}"


class NotificationType(models.TextChoices):
    LOW_BALANCE = "low_balance", "Low balance"
    AUTO_TOPUP = "auto_topup", "Auto top-up"
    PAYMENT = "payment", "Payment"
    SESSION_END = "session_end", "Session end"
    SETTLEMENT = "settlement", "Settlement"
    SYSTEM = "system", "System"
    PROMOTIONAL = "promotional", "Promotional"


class Notification(models.Model):
    """Seed 003 notifications: one message to a user, read or unread."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=16, choices=NotificationType.choices)
    title = models.CharField(max_length=255)
    message = models.TextField()
    read = models.BooleanField(default=False)
    action_url = models.CharField(max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=191, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "read"], name="idx_notifications_user_id"),
            models.Index(fields=["type"], name="idx_notifications_type"),
            models.Index(fields=["read"], name="idx_notifications_read"),
            models.Index(fields=["created_at"], name="idx_notifications_created_at"),
        ]

    def __str__(self):
        return self.title


class NotificationSettings(models.Model):
    """Seed 003 notification_settings: a user's low-balance threshold and per-type choices."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    low_balance_threshold = models.DecimalField(**AMOUNT, default=10)
    notification_email = models.EmailField(blank=True)
    type_preferences = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification settings"
        indexes = [models.Index(fields=["created_at"], name="support_settings_created_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(low_balance_threshold__gte=0), name="support_settings_threshold_ok"),
        ]

    def __str__(self):
        return f"Notification settings of {self.user}"


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


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One attempt log of posting an event to a webhook (retried until delivered)."""

    webhook = models.ForeignKey(DiscordWebhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64)
    dedupe_key = models.CharField(max_length=191, unique=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
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
        ]

    def __str__(self):
        return f"{self.event} → {self.webhook}"
