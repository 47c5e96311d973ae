"""The kernel's one table: a record of every run of every scheduled job (nodebyte_platform.jobs)."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class JobRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Finished with item errors"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped: already running"


class JobRun(models.Model):
    """One run of a job: when, how it ended, how much it did, the first error it met."""

    job = models.CharField(max_length=100, help_text="The job's task name, e.g. ledger.reconcile_ledger.")
    trigger = models.CharField(max_length=16, default="beat", help_text="beat, admin or command.")
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dry_run = models.BooleanField(default=False, help_text="Ran without keeping any change.")
    status = models.CharField(max_length=16, choices=JobRunStatus.choices, default=JobRunStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveBigIntegerField(null=True, blank=True)
    items_processed = models.PositiveIntegerField(default=0)
    errors_count = models.PositiveIntegerField(default=0)
    first_error = models.TextField(blank=True, help_text="The first error's traceback.")
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # At most one run of a job at a time: the lock on every database (PostgreSQL adds an
            # advisory lock so that a run whose worker died is told from one still going).
            models.UniqueConstraint(fields=["job"], condition=Q(status="running"), name="platform_one_running_job"),
        ]
        indexes = [
            models.Index(fields=["job", "started_at"], name="platform_jobrun_job_idx"),
            models.Index(fields=["status"], name="platform_jobrun_status_idx"),
            models.Index(fields=["started_at"], name="platform_jobrun_started_idx"),
            models.Index(fields=["trigger"], name="platform_jobrun_trigger_idx"),
            models.Index(fields=["dry_run"], name="platform_jobrun_dry_run_idx"),
        ]
        permissions = [("run_job", "Can start a job now or as a dry run")]

    def __str__(self):
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class ReactionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Gave up"


class Reaction(models.Model):
    """One upper app's reaction to one lower app's event, kept until it has run (an outbox row).

    Written in the transaction of the event that caused it, so it exists exactly when the event
    committed; run after that commit and retried with backoff until it succeeds (nodebyte_platform.events).
    """

    reaction = models.CharField(max_length=100, help_text="Who reacts, e.g. loyalty.count_wagering.")
    event = models.CharField(max_length=100, help_text="What happened, e.g. games.bet_settled.")
    event_key = models.CharField(max_length=200, help_text="Which occurrence: a reaction runs once per key.")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=ReactionStatus.choices, default=ReactionStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["reaction", "event_key"], name="platform_reaction_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="platform_reaction_due_idx"),
            models.Index(fields=["event"], name="platform_reaction_event_idx"),
            models.Index(fields=["reaction"], name="platform_reaction_name_idx"),
            models.Index(fields=["created_at"], name="platform_reaction_created_idx"),
        ]

    def __str__(self):
        return f"{self.reaction} on {self.event} {self.event_key}"


class ApiIdempotencyRecord(models.Model):
    """The first answer of the partner API to one (application, Idempotency-Key): every replay gets it.

    Written by nodebyte_platform.api in the same transaction as the write it answers for, so the
    two commit or roll back together. (Moved from games, where it began; its names stayed.)
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path, player and body.")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="games_api_idempotency_app_key_unique"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="games_api_idem_created_idx"),
            models.Index(fields=["method"], name="games_api_idem_method_idx"),
            models.Index(fields=["status_code"], name="games_api_idem_status_idx"),
        ]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"
