"""The job runner: one record per run, one run of a job at a time, dry runs that keep nothing,
runs left by dead workers closed, and the admin's job table, buttons and index warning."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import StaffRole
from accounts.services import sync_roles
from games import services as game_services
from games.models import GameSession
from nodebyte_platform.celery import app, sync_beat_schedule
from nodebyte_platform.jobs import JOBS, job, registered_jobs, run_job, stale_after
from nodebyte_platform.models import JobRun, JobRunStatus
from nodebyte_platform.schedule import BEAT_SCHEDULE
from tests.factories.accounts import CustomerFactory, staff_user
from tests.factories.games import GameFactory
from tests.factories.platform import JobRunFactory

pytestmark = pytest.mark.django_db

# Test-only jobs: what each does is set by the test that runs it.
BEHAVIOUR = {}


@job("tests.scripted_job")
def scripted_job(ctx):
    """A job whose behaviour the test sets."""
    return BEHAVIOUR["scripted"](ctx)


def test_every_beat_entry_is_a_job_of_the_runner():
    jobs = registered_jobs()
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in jobs, f"{name!r} runs {entry['task']!r}, which is no job of the runner"
        assert app.tasks[entry["task"]].name == jobs[entry["task"]].task.name == entry["task"]


def test_a_run_records_its_outcome_items_and_summary():
    def work(ctx):
        ctx.processed(3)
        return {"done": 3, "when": timezone.now()}

    BEHAVIOUR["scripted"] = work
    run = run_job("tests.scripted_job", trigger="command")
    assert (run.status, run.items_processed, run.errors_count, run.trigger) == ("succeeded", 3, 0, "command")
    assert run.finished_at >= run.started_at and run.duration_ms is not None
    assert run.summary["done"] == 3 and isinstance(run.summary["when"], str)


def test_item_errors_make_a_partial_run_with_the_first_traceback_and_a_crash_a_failed_one():
    def some_items_fail(ctx):
        for item in range(4):
            try:
                if item % 2:
                    raise ValueError(f"item {item} is broken")
                ctx.processed()
            except ValueError as exc:
                ctx.item_failed(exc, item=item)

    BEHAVIOUR["scripted"] = some_items_fail
    run = run_job("tests.scripted_job")
    assert (run.status, run.items_processed, run.errors_count) == ("partial", 2, 2)
    assert run.first_error.startswith("item 1: ") and "ValueError: item 1 is broken" in run.first_error

    def crash(ctx):
        raise RuntimeError("the panel is down")

    BEHAVIOUR["scripted"] = crash
    run = run_job("tests.scripted_job")
    assert run.status == "failed" and "RuntimeError: the panel is down" in run.first_error


def test_a_dry_run_keeps_nothing_it_wrote():
    customer = CustomerFactory()
    game = GameFactory()

    def writes(ctx):
        game_services.start_session(customer=customer, game=game)
        ctx.processed()
        return {"would_start": 1}

    BEHAVIOUR["scripted"] = writes
    run = run_job("tests.scripted_job", dry_run=True)
    assert run.status == "succeeded" and run.dry_run and run.summary == {"would_start": 1}
    assert not GameSession.objects.exists()
    run_job("tests.scripted_job")
    assert GameSession.objects.count() == 1


def test_a_run_left_running_by_a_dead_worker_is_closed_by_the_next_run():
    BEHAVIOUR["scripted"] = lambda ctx: None
    started = timezone.now() - (stale_after() + timedelta(minutes=1))
    dead = JobRun.objects.create(job="tests.scripted_job", status=JobRunStatus.RUNNING, started_at=started)
    run = run_job("tests.scripted_job")
    assert run.status == "succeeded"
    dead = JobRun.objects.get(pk=dead.pk)
    assert dead.status == "failed" and dead.finished_at is not None and "worker" in dead.first_error


@pytest.mark.postgres
def test_on_postgresql_a_running_row_without_its_lock_is_dead_at_once():
    """The advisory lock dies with its worker's connection: no waiting for the time limit."""
    BEHAVIOUR["scripted"] = lambda ctx: None
    dead = JobRun.objects.create(job="tests.scripted_job", status=JobRunStatus.RUNNING, started_at=timezone.now())
    assert run_job("tests.scripted_job").status == "succeeded"
    assert JobRun.objects.get(pk=dead.pk).status == "failed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_job_at_once_run_it_once():
    inside, release = threading.Event(), threading.Event()
    calls = []

    def slow(ctx):
        calls.append(1)
        inside.set()
        release.wait(timeout=30)

    BEHAVIOUR["scripted"] = slow
    results = []

    def run_in_thread():
        try:
            results.append(run_job("tests.scripted_job").status)
        finally:
            connection.close()

    first = threading.Thread(target=run_in_thread)
    first.start()
    assert inside.wait(timeout=30)
    second = threading.Thread(target=run_in_thread)
    second.start()
    second.join(timeout=30)
    release.set()
    first.join(timeout=30)
    assert sorted(results) == ["skipped", "succeeded"] and len(calls) == 1
    assert JobRun.objects.filter(job="tests.scripted_job", status="running").count() == 0


def test_unknown_jobs_are_refused():
    from nodebyte_platform.jobs import UnknownJob

    with pytest.raises(UnknownJob):
        run_job("no.such_job")


@pytest.fixture
def roles():
    sync_roles()


def test_admin_runs_a_job_now_and_as_a_dry_run_from_the_job_table(client, roles, django_capture_on_commit_callbacks):
    admin_user = staff_user(StaffRole.ADMIN)
    client.force_login(admin_user)
    changelist = reverse("admin:nodebyte_platform_jobrun_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    for name in JOBS:
        if name.startswith("tests."):
            continue
        assert name in page.content.decode()
    assert "Run now" in page.content.decode() and "Dry run" in page.content.decode()

    run_url = reverse("admin:nodebyte_platform_jobrun_run")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(run_url, {"job": "ledger.reconcile_ledger"}).status_code == 302
        assert client.post(run_url, {"job": "ledger.reconcile_ledger", "dry_run": "1"}).status_code == 302
    runs = JobRun.objects.filter(job="ledger.reconcile_ledger").order_by("id")
    assert [(r.trigger, r.dry_run, r.status, r.triggered_by_id) for r in runs] == [
        ("admin", False, "succeeded", admin_user.pk),
        ("admin", True, "succeeded", admin_user.pk),
    ]
    assert client.get(reverse("admin:nodebyte_platform_jobrun_change", args=[runs[0].pk])).status_code == 200


def test_accounting_reads_runs_without_buttons_and_support_sees_none(client, roles):
    JobRunFactory()
    run_url = reverse("admin:nodebyte_platform_jobrun_run")
    client.force_login(staff_user(StaffRole.ACCOUNTING))
    page = client.get(reverse("admin:nodebyte_platform_jobrun_changelist"))
    assert page.status_code == 200 and "Run now" not in page.content.decode()
    assert client.post(run_url, {"job": "ledger.reconcile_ledger"}).status_code == 403
    client.force_login(staff_user(StaffRole.SUPPORT))
    assert client.get(reverse("admin:nodebyte_platform_jobrun_changelist")).status_code == 403
    assert client.post(run_url, {"job": "ledger.reconcile_ledger"}).status_code == 403
    assert JobRun.objects.count() == 1


def test_the_admin_index_warns_of_a_failed_or_overdue_job(client, roles):
    sync_beat_schedule()
    client.force_login(staff_user(StaffRole.ADMIN))
    index = reverse("admin:index")
    JobRunFactory(job="ledger.reconcile_ledger")
    JobRunFactory(job="games.expire_metered_sessions")
    JobRunFactory(job="accounts.clear_expired_oauth_tokens")
    assert 'id="job-health-warning"' not in client.get(index).content.decode()

    JobRunFactory(job="ledger.reconcile_ledger", status=JobRunStatus.FAILED, first_error="boom")
    page = client.get(index).content.decode()
    assert 'id="job-health-warning"' in page and "ledger.reconcile_ledger (its last run failed)" in page

    # Metered sessions expire every minute: three minutes without a run is twice its period and more.
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        page = client.get(index).content.decode()
    assert "games.expire_metered_sessions (it has not run in twice its period)" in page
    # A job staff paused is not expected to run.
    PeriodicTask.objects.filter(task="games.expire_metered_sessions").update(enabled=False)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert "games.expire_metered_sessions" not in client.get(index).content.decode()


def test_the_run_job_command_lists_runs_and_dry_runs(capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("run_job")
    assert "ledger.reconcile_ledger: Check every invariant" in capsys.readouterr().out
    call_command("run_job", "ledger.reconcile_ledger", "--dry-run")
    assert "ledger.reconcile_ledger: Succeeded (dry run)" in capsys.readouterr().out
    BEHAVIOUR["scripted"] = lambda ctx: 1 / 0
    with pytest.raises(CommandError):
        call_command("run_job", "tests.scripted_job")
    with pytest.raises(CommandError):
        call_command("run_job", "no.such_job")
    assert JobRun.objects.filter(trigger="command").count() == 2
