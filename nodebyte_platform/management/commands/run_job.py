"""`manage.py run_job NAME [--dry-run]`: run one job now, through the job runner, and print its record."""

from django.core.management.base import BaseCommand, CommandError

from nodebyte_platform.errors import DomainError
from nodebyte_platform.jobs import registered_jobs, run_job


class Command(BaseCommand):
    help = "Run a scheduled job now (recorded as a JobRun; --dry-run keeps nothing it writes)."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="The job's name; leave out to list the jobs.")
        parser.add_argument("--dry-run", action="store_true", help="Run it, then roll back everything it wrote.")

    def handle(self, *args, name=None, dry_run=False, **options):
        if not name:
            for job in registered_jobs().values():
                self.stdout.write(f"{job.name}: {job.description}")
            return
        try:
            run = run_job(name, dry_run=dry_run, trigger="command")
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stdout.write(
            f"{run.job}: {run.get_status_display()}{' (dry run)' if run.dry_run else ''}, "
            f"{run.items_processed} item(s), {run.errors_count} error(s), {run.duration_ms} ms {run.summary}"
        )
        if run.first_error:
            self.stderr.write(run.first_error)
        if run.status == "failed":
            raise CommandError(f"{name} failed.")
