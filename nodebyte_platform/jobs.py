"""The job runner: every scheduled job runs through `run_job` and leaves a `JobRun`.

An app declares a job in its tasks.py:

    @job("ledger.reconcile_ledger")
    def reconcile_ledger(ctx: JobContext) -> dict:
        ...  # ctx.processed(), ctx.item_failed(exc, item=...), honour ctx.dry_run for outside calls

which registers it here and as a Celery task of that name (what the beat schedule names). A run:
- takes the job's lock: at most one run of a job at a time. On PostgreSQL a session advisory lock,
  which dies with its connection, so a run left "running" by a killed worker is told from a live
  one and closed as failed by the next run; everywhere, a unique "running" row per job (on
  SQLite the only lock: a running row older than twice the task time limit is taken as dead).
  A run that finds the lock taken is recorded as skipped;
- records items processed, item errors with the first traceback, duration, and the summary the
  job returns; a job that raises is failed, one whose items partly failed is partial;
- as a dry run, executes inside a transaction that is rolled back: nothing it writes is kept
  (jobs that call outside services check `ctx.dry_run` before doing so).

The kernel imports no app: jobs register themselves when Django autodiscovers their tasks modules.
"""

import logging
import time
import traceback
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from nodebyte_platform.errors import DomainError
from nodebyte_platform.models import JobRun, JobRunStatus

logger = logging.getLogger(__name__)

# The first key of every job's advisory lock (the second is the job name's CRC-32), so the
# jobs' locks never meet advisory locks taken for anything else.
ADVISORY_LOCK_NAMESPACE = 7401


class UnknownJob(DomainError):
    code = "unknown_job"
    http_status = 404


@dataclass
class JobContext:
    """What a running job reports through: progress, item errors, and whether it is a dry run."""

    run: JobRun
    dry_run: bool
    items_processed: int = 0
    errors_count: int = 0
    first_error: str = ""
    notes: list[str] = field(default_factory=list)

    def processed(self, count: int = 1) -> None:
        self.items_processed += count

    def item_failed(self, error: BaseException, *, item=None) -> None:
        """One item failed; the job goes on with the next. The first traceback is kept on the run."""
        self.errors_count += 1
        logger.error("job %s: item %s failed", self.run.job, item, exc_info=error)
        if not self.first_error:
            prefix = f"item {item}: " if item is not None else ""
            self.first_error = prefix + "".join(traceback.format_exception(error))


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[JobContext], dict | None]
    description: str
    task: object


JOBS: dict[str, Job] = {}


def job(name: str):
    """Register `func(ctx) -> summary` as the job `name`; what the decorator returns is the Celery
    task of that name (beat runs it; `.delay(dry_run=True)` queues a dry run), which runs the job
    through `run_job`."""

    def register(func):
        @shared_task(name=name)
        def task(dry_run: bool = False, trigger: str = "beat", triggered_by_id: int | None = None) -> dict:
            run = run_job(name, dry_run=dry_run, trigger=trigger, triggered_by_id=triggered_by_id)
            return {"run": run.pk, "status": run.status}

        description = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else name
        JOBS[name] = Job(name=name, func=func, description=description, task=task)
        return task

    return register


def registered_jobs() -> dict[str, Job]:
    """Every job of every app (importing the apps' tasks modules first, as a worker does)."""
    autodiscover_modules("tasks")
    return dict(sorted(JOBS.items()))


def stale_after() -> timedelta:
    """A task is killed at its hard time limit: a run older than twice that holds nothing any more."""
    return timedelta(seconds=2 * settings.CELERY_TASK_TIME_LIMIT)


@contextmanager
def _advisory_lock(name: str):
    if connection.vendor != "postgresql":
        yield True
        return
    key = zlib.crc32(name.encode()) - 2**31  # into int4's range
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_LOCK_NAMESPACE, key])


def _close_dead_runs(name: str) -> None:
    """Close as failed the runs of `name` left running by a worker that stopped."""
    now = timezone.now()
    dead = JobRun.objects.filter(job=name, status=JobRunStatus.RUNNING)
    if connection.vendor != "postgresql":
        dead = dead.filter(started_at__lt=now - stale_after())
    # On PostgreSQL we hold the advisory lock, so whoever wrote a running row is gone.
    dead.update(
        status=JobRunStatus.FAILED,
        finished_at=now,
        first_error="Closed by the next run: the worker running it stopped before it finished.",
    )


def run_job(name: str, *, dry_run: bool = False, trigger: str = "beat", triggered_by_id: int | None = None) -> JobRun:
    """Run the job `name` once, under its lock, and return its JobRun (skipped if it is running)."""
    jobs = registered_jobs()
    if name not in jobs:
        raise UnknownJob(f"No job is called {name!r}.", details={"job": name, "known": list(jobs)})
    fields = {"job": name, "dry_run": dry_run, "trigger": trigger[:16], "triggered_by_id": triggered_by_id}
    with _advisory_lock(name) as acquired:
        run = None
        if acquired:
            _close_dead_runs(name)
            try:
                with transaction.atomic():
                    run = JobRun.objects.create(status=JobRunStatus.RUNNING, started_at=timezone.now(), **fields)
            except IntegrityError:
                run = None  # a run holds the "running" row (the SQLite lock)
        if run is None:
            now = timezone.now()
            logger.info("job %s: skipped, a run is already going", name)
            return JobRun.objects.create(
                status=JobRunStatus.SKIPPED, started_at=now, finished_at=now, duration_ms=0, **fields
            )
        _execute(jobs[name], run)
        return run


def _execute(job_: Job, run: JobRun) -> None:
    ctx = JobContext(run=run, dry_run=run.dry_run)
    started = time.monotonic()
    summary = None
    status = JobRunStatus.SUCCEEDED
    try:
        if run.dry_run:
            with transaction.atomic():
                summary = job_.func(ctx)
                transaction.set_rollback(True)  # a dry run keeps nothing it wrote
        else:
            summary = job_.func(ctx)
    except Exception as exc:  # the run records any failure; the worker stays up for the next job
        logger.exception("job %s failed", job_.name)
        status = JobRunStatus.FAILED
        ctx.errors_count += 1
        ctx.first_error = ctx.first_error or "".join(traceback.format_exception(exc))
    else:
        if ctx.errors_count:
            status = JobRunStatus.PARTIAL
    run.status = status
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.items_processed = ctx.items_processed
    run.errors_count = ctx.errors_count
    run.first_error = ctx.first_error
    run.summary = _json_safe(summary) if isinstance(summary, dict) else {}
    run.save()


def _json_safe(summary: dict) -> dict:
    """The summary as JSON keeps it: numbers and flags as they are, anything else as its text."""
    return {str(k): v if isinstance(v, bool | int | float | None) else str(v) for k, v in summary.items()}


def start_job(*, name: str, dry_run: bool, by) -> None:
    """Queue a run of `name` for a staff member (the admin's "run now" and "dry run")."""
    jobs = registered_jobs()
    if name not in jobs:
        raise UnknownJob(f"No job is called {name!r}.", details={"job": name})
    task = jobs[name].task
    transaction.on_commit(lambda: task.delay(dry_run=dry_run, trigger="admin", triggered_by_id=by.pk))


@dataclass(frozen=True)
class JobHealth:
    job: Job
    last_run: JobRun | None
    enabled: bool
    problem: str  # "" when healthy


def job_health(*, now=None) -> list[JobHealth]:
    """Each job with its last real run and what is wrong with it: its last run failed, or it has
    not run in twice its period (the period as the beat schedule in the admin now says)."""
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    scheduled = {
        task.task: task
        for task in PeriodicTask.objects.filter(enabled=True).select_related("interval", "crontab", "solar", "clocked")
    }
    health = []
    for name, job_ in registered_jobs().items():
        last = (
            JobRun.objects.filter(job=name, dry_run=False)
            .exclude(status__in=[JobRunStatus.SKIPPED, JobRunStatus.RUNNING])
            .order_by("-started_at", "-id")
            .first()
        )
        periodic = scheduled.get(name)
        problem = ""
        if last is not None and last.status == JobRunStatus.FAILED:
            problem = "its last run failed"
        elif periodic is not None:
            since = last.started_at if last is not None else periodic.date_changed
            # Celery estimates what remains from now until the first run due after `since`.
            next_due = now + periodic.schedule.remaining_estimate(since)
            period = max(next_due - since, timedelta(minutes=1))
            if now - since > 2 * period:
                problem = "it has not run in twice its period" if last else "it has never run"
        health.append(JobHealth(job=job_, last_run=last, enabled=periodic is not None, problem=problem))
    return health
