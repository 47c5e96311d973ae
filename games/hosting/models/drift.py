"""What a sync learns beyond the mirrors: who a panel user is here, and where the panel and we disagree."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class PanelUser(models.Model):
    """A user account on a panel, matched to one of our customers (by external id, then email)."""

    integration = models.ForeignKey("games.Integration", on_delete=models.PROTECT, related_name="panel_users")
    external_id = models.PositiveIntegerField(help_text="The user's id on the panel.")
    panel_external_id = models.CharField(max_length=191, blank=True, help_text="The external_id the panel keeps.")
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="panel_users"
    )
    username = models.CharField(max_length=191)
    email = models.EmailField(max_length=254)
    removed_on_panel_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "external_id"], name="games_paneluser_integration_unique"),
            models.UniqueConstraint(
                fields=["integration", "customer"],
                condition=Q(customer__isnull=False),
                name="games_paneluser_one_per_customer",
            ),
        ]

    def __str__(self):
        return f"{self.username} on {self.integration_id}"


class DriftOrigin(models.TextChoices):
    PANEL = "panel", "Changed on the panel"
    HERE = "here", "Changed here"
    BOTH = "both", "Changed on both sides"


class DriftStatus(models.TextChoices):
    OPEN = "open", "Open"
    TOOK_PANEL = "took_panel", "Took the panel's value"
    PUSHED_OURS = "pushed_ours", "Pushed ours to the panel"
    CONVERGED = "converged", "Both sides agree again"


class DriftFinding(models.Model):
    """One field of one server on which the panel and we disagreed at a sync.

    Values are kept in the panel's terms (limits in MiB, egg/node/owner as panel ids, status as ours),
    so both reconcile directions compare like with like. One open finding per server and field.
    """

    integration = models.ForeignKey("games.Integration", on_delete=models.PROTECT, related_name="drift_findings")
    server = models.ForeignKey("games.Server", on_delete=models.CASCADE, related_name="drift_findings")
    sync_log = models.ForeignKey(
        "games.SyncLog", on_delete=models.SET_NULL, null=True, blank=True, related_name="drift_findings"
    )
    field = models.CharField(max_length=32)
    origin = models.CharField(max_length=8, choices=DriftOrigin.choices)
    panel_value = models.JSONField(null=True, blank=True)
    our_value = models.JSONField(null=True, blank=True)
    synced_value = models.JSONField(null=True, blank=True, help_text="The value both sides had at the last sync.")
    status = models.CharField(max_length=16, choices=DriftStatus.choices, default=DriftStatus.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["server", "field"], condition=Q(status="open"), name="games_drift_one_open_per_field"
            ),
        ]
        indexes = [models.Index(fields=["status"], name="games_drift_status_idx")]

    def __str__(self):
        return f"{self.server} {self.field}: {self.our_value} here, {self.panel_value} on the panel"
