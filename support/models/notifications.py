"""Notifications to players and staff (seed 003 notifications, notification_settings)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ledger.models import AMOUNT


class NotificationType(models.TextChoices):
    # Seed 003's types first, then the platform's own.
    LOW_BALANCE = "low_balance", "Low balance"
    AUTO_TOPUP = "auto_topup", "Auto top-up"
    PAYMENT = "payment", "Payment completed"
    SESSION_END = "session_end", "Session end"
    SETTLEMENT = "settlement", "Settlement"
    SYSTEM = "system", "System"
    PROMOTIONAL = "promotional", "Promotional"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    REFUND = "refund", "Refund"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    INVOICE_ISSUED = "invoice_issued", "Invoice issued"
    INVOICE_OVERDUE = "invoice_overdue", "Invoice overdue"
    SERVER_SUSPENDED = "server_suspended", "Server suspended"
    TIER_CHANGED = "tier_changed", "Tier changed"
    BONUS_GRANTED = "bonus_granted", "Bonus granted"
    BONUS_EXPIRING = "bonus_expiring", "Bonus expiring"
    TICKET_REPLY = "ticket_reply", "Ticket reply"
    TICKET_STATUS = "ticket_status", "Ticket status"
    TICKET_ESCALATED = "ticket_escalated", "Ticket escalated"
    SECURITY = "security", "Security"
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook disabled"
    PURCHASE = "purchase", "Purchase"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the portal"
    EMAIL = "email", "Email"


class EmailStatus(models.TextChoices):
    NOT_SENT = "not_sent", "Not sent (not wanted)"
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """Seed 003 notifications: one message to a user, shown in the portal, read or unread, and
    perhaps emailed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=32, choices=NotificationType.choices)
    title = models.CharField(max_length=255)
    message = models.TextField()
    read = models.BooleanField(default=False)
    # False when the user wants this type by email only: it is then not listed in the portal.
    in_app = models.BooleanField(default=True)
    action_url = models.CharField(max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=191, null=True, blank=True, unique=True)
    # What the notice is about ("low_balance:EUR", "ticket:<id>"): repeats are rate-limited by it.
    topic = models.CharField(max_length=100, blank=True)
    email_status = models.CharField(max_length=16, choices=EmailStatus.choices, default=EmailStatus.NOT_SENT)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "read"], name="idx_notifications_user_id"),
            models.Index(fields=["type"], name="idx_notifications_type"),
            models.Index(fields=["read"], name="idx_notifications_read"),
            models.Index(fields=["created_at"], name="idx_notifications_created_at"),
            models.Index(fields=["user", "type", "topic", "created_at"], name="support_notif_topic_idx"),
            models.Index(fields=["email_status"], name="support_notif_email_idx"),
            models.Index(fields=["in_app"], name="support_notif_in_app_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email_status="sent") | Q(emailed_at__isnull=False), name="support_notif_sent_has_time"
            ),
        ]

    def __str__(self):
        return self.title


class NotificationSettings(models.Model):
    """Seed 003 notification_settings: a user's low-balance threshold and per-type choices,
    `type_preferences` = {type: {"in_app": bool, "email": bool}} (a bare bool sets both)."""

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
