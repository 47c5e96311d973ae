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
