"""Staff pages of the kernel: every job with its health and "run now" / "dry run", every run, and the
reactions to domain events (with "retry now" for those that failed).

A composition module (it builds on accounts' admin base), not part of the kernel apps import.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from accounts.admin_base import LargeTablePaginator, PlatformModelAdmin, ReadOnlyAdmin, run_service
from nodebyte_platform.errors import DomainError
from nodebyte_platform.events import retry_reaction
from nodebyte_platform.jobs import job_health, start_job
from nodebyte_platform.models import ApiIdempotencyRecord, JobRun, Reaction

RUN_PERMISSION = "nodebyte_platform.run_job"


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """Runs are written by the job runner only; staff read them and start jobs from the list's header."""

    list_display = (
        "job",
        "status",
        "trigger",
        "dry_run",
        "started_at",
        "duration_ms",
        "items_processed",
        "errors_count",
        "triggered_by",
    )
    list_filter = ("status", "trigger", "dry_run", "job")
    search_fields = ("job", "first_error")
    list_select_related = ("triggered_by",)
    date_hierarchy = "started_at"
    list_before_template = "admin/nodebyte_platform/jobs.html"
    readonly_fields = (
        "job",
        "status",
        "trigger",
        "triggered_by",
        "dry_run",
        "started_at",
        "finished_at",
        "duration_ms",
        "items_processed",
        "errors_count",
        "first_error",
        "summary",
    )

    def changelist_view(self, request, extra_context=None):
        """The job table above the runs: each job's last run, what is wrong with it, and its buttons."""
        extra_context = {
            **(extra_context or {}),
            "jobs": job_health(),
            "can_run_jobs": request.user.has_perm(RUN_PERMISSION),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        run = self.admin_site.admin_view(self.run_view)
        return [path("run/", run, name="nodebyte_platform_jobrun_run"), *super().get_urls()]

    def run_view(self, request):
        """Queue one run of the job the form names (a dry run when it says so), then back to the list."""
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        name = request.POST.get("job", "")
        dry_run = request.POST.get("dry_run") == "1"
        try:
            start_job(name=name, dry_run=dry_run, by=request.user)
        except DomainError as exc:
            self.message_user(request, f"{exc.message} ({exc.code})", messages.ERROR)
        else:
            what = "A dry run" if dry_run else "A run"
            self.message_user(request, f"{what} of {name} was started; it appears below when it finishes.")
        return HttpResponseRedirect(reverse("admin:nodebyte_platform_jobrun_changelist"))


@admin.register(Reaction)
class ReactionAdmin(ReadOnlyAdmin):
    """Reactions to domain events: written with the event, run after its commit, retried until done."""

    list_display = ("created_at", "reaction", "event", "event_key", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "event", "reaction")
    search_fields = ("=event_key", "reaction", "last_error")
    date_hierarchy = "created_at"
    readonly_fields = (
        "reaction",
        "event",
        "event_key",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "done_at",
    )
    actions = ("retry_now",)

    @admin.action(description="Retry now (a given-up reaction starts its attempts over)", permissions=["run"])
    def retry_now(self, request, queryset):
        run_service(self, request, queryset, lambda row: retry_reaction(reaction=row), "reaction(s) queued")

    def has_run_permission(self, request):
        return request.user.has_perm(RUN_PERMISSION)


@admin.register(ApiIdempotencyRecord)
class ApiIdempotencyRecordAdmin(PlatformModelAdmin):
    """Stored first responses of money-moving API calls (read-only; replays are answered from here)."""

    paginator = LargeTablePaginator
    list_display = ("created_at", "application", "method", "path", "status_code", "key")
    list_filter = ("method", "status_code")
    search_fields = ("=key", "path")
    list_select_related = ("application",)
    raw_id_fields = ("application",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
