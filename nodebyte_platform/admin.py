"""Staff pages of the job runner: every job with its health and "run now" / "dry run", and every run.

A composition module (it builds on accounts' admin base), not part of the kernel apps import.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accounts.admin_base import PlatformModelAdmin
from nodebyte_platform.errors import DomainError
from nodebyte_platform.jobs import job_health, start_job
from nodebyte_platform.models import JobRun

RUN_PERMISSION = "nodebyte_platform.run_job"


@admin.register(JobRun)
class JobRunAdmin(PlatformModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """The job table above the runs: each job's last run, what is wrong with it, and its buttons."""
        extra_context = {
            **(extra_context or {}),
            "jobs": job_health(),
            "can_run_jobs": request.user.has_perm(RUN_PERMISSION),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        run = self.admin_site.admin_view(require_POST(self.run_view))
        return [path("run/<str:name>/", run, name="nodebyte_platform_jobrun_run"), *super().get_urls()]

    def run_view(self, request, name):
        """Queue one run of the job `name` (a dry run when the form says so), then back to the list."""
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        dry_run = request.POST.get("dry_run") == "1"
        try:
            start_job(name=name, dry_run=dry_run, by=request.user)
        except DomainError as exc:
            self.message_user(request, f"{exc.message} ({exc.code})", messages.ERROR)
        else:
            what = "A dry run" if dry_run else "A run"
            self.message_user(request, f"{what} of {name} was started; it appears below when it finishes.")
        return HttpResponseRedirect(reverse("admin:nodebyte_platform_jobrun_changelist"))
