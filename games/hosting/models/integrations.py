"""Connections to outside systems: panels and LMSs (seed 003 lms_connections),
their sync history (seed 004 sync_logs) and Hytale OAuth (seed 004 schema_hytale)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from encrypted_fields.fields import EncryptedCharField, EncryptedTextField


class IntegrationKind(models.TextChoices):
    PTERODACTYL = "pterodactyl", "Pterodactyl panel"
    VIRTFUSION = "virtfusion", "Virtfusion panel"
    MOODLE = "moodle", "Moodle"
    CANVAS = "canvas", "Canvas"
    BLACKBOARD = "blackboard", "Blackboard"


class IntegrationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ERROR = "error", "Error"


class Integration(models.Model):
    kind = models.CharField(max_length=16, choices=IntegrationKind.choices)
    name = models.CharField(max_length=128)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integrations",
        help_text="Owner of an LMS connection (seed 003 user_id); empty for platform panels.",
    )
    url = models.URLField(max_length=500)
    # Null when empty: the encrypted field stores an empty value as NULL.
    api_key = EncryptedCharField(max_length=512, blank=True, null=True)
    api_secret = EncryptedCharField(max_length=512, blank=True, null=True)
    status = models.CharField(max_length=16, choices=IntegrationStatus.choices, default=IntegrationStatus.ACTIVE)
    sync_interval_minutes = models.PositiveIntegerField(
        default=60, help_text="How often the scheduled sync runs for this connection (0: never on schedule)."
    )
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["user"], name="idx_lms_connections_user_id"),
            models.Index(fields=["kind"], name="idx_lms_connections_platform"),
            models.Index(fields=["status"], name="games_integration_status_idx"),
        ]

    def __str__(self):
        return self.name


class SyncType(models.TextChoices):
    FULL = "full", "Full"
    LOCATIONS = "locations", "Locations"
    NODES = "nodes", "Nodes"
    ALLOCATIONS = "allocations", "Allocations"
    NESTS = "nests", "Nests"
    EGGS = "eggs", "Eggs"
    SERVERS = "servers", "Servers"
    USERS = "users", "Users"


class SyncStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class SyncLog(models.Model):
    integration = models.ForeignKey(
        Integration, on_delete=models.PROTECT, null=True, blank=True, related_name="sync_logs"
    )
    sync_type = models.CharField(max_length=16, choices=SyncType.choices)
    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.PENDING)
    records_synced = models.PositiveIntegerField(default=0)
    records_failed = models.PositiveIntegerField(default=0)
    records_total = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status"], name="games_synclog_status_idx"),
            models.Index(fields=["sync_type"], name="games_synclog_type_idx"),
            models.Index(fields=["created_at"], name="games_synclog_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(records_synced__lte=models.F("records_total"))
                & Q(records_failed__lte=models.F("records_total")),
                name="games_synclog_counts_within_total",
            ),
        ]

    def __str__(self):
        return f"{self.get_sync_type_display()} sync {self.created_at:%Y-%m-%d %H:%M}"


class HytaleToken(models.Model):
    """A Hytale OAuth token pair kept for a customer's game profile."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="hytale_tokens")
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField(blank=True)
    scope = models.CharField(max_length=255, blank=True)
    profile_uuid = models.UUIDField(null=True, blank=True)
    profile_username = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "profile_uuid"],
                condition=Q(profile_uuid__isnull=False),
                name="games_hytale_token_profile_unique",
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="games_hytale_token_expiry_idx")]

    def __str__(self):
        return f"Hytale token of {self.customer}"


class HytaleGameSession(models.Model):
    token = models.ForeignKey(HytaleToken, on_delete=models.CASCADE, related_name="game_sessions")
    server = models.ForeignKey(
        "games.Server", on_delete=models.SET_NULL, null=True, blank=True, related_name="hytale_sessions"
    )
    session_token = EncryptedTextField()
    identity_token = EncryptedTextField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="games_hytale_sess_expiry_idx")]

    def __str__(self):
        return f"Hytale session {self.pk}"
