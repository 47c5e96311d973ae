"""The beat schedule is code; every entry names a registered task and lands in the admin's tables."""

import pytest
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from nodebyte_platform.celery import app, sync_beat_schedule
from nodebyte_platform.schedule import BEAT_SCHEDULE


def test_the_celery_app_uses_the_schedule_from_code():
    assert app.conf.beat_schedule == BEAT_SCHEDULE
    assert BEAT_SCHEDULE, "the schedule is empty"


@pytest.mark.parametrize("entry_name", sorted(BEAT_SCHEDULE))
def test_every_scheduled_task_is_registered(entry_name):
    app.loader.import_default_modules()  # autodiscovers every app's tasks.py, as a worker does
    task = BEAT_SCHEDULE[entry_name]["task"]
    assert task in app.tasks, f"{entry_name!r} schedules {task!r}, which no tasks.py registers"


@pytest.mark.parametrize("entry_name", sorted(BEAT_SCHEDULE))
def test_every_entry_drops_runs_a_stopped_worker_never_picked_up(entry_name):
    assert BEAT_SCHEDULE[entry_name].get("options", {}).get("expire_seconds", 0) > 0


# Beat calls close_old_connections(), which closes a connection found inside a transaction: so no
# wrapping test transaction here (post_migrate handlers restore the base data after each flush).
@pytest.mark.django_db(transaction=True)
def test_beat_writes_the_schedule_into_its_tables():
    DatabaseScheduler(app=app)  # what `celery beat` does at start
    stored = {task.name: task.task for task in PeriodicTask.objects.all()}
    for name, entry in BEAT_SCHEDULE.items():
        assert stored.get(name) == entry["task"]


@pytest.mark.django_db
def test_sync_is_idempotent_and_keeps_what_staff_paused():
    assert sync_beat_schedule() == len(BEAT_SCHEDULE)
    name = next(iter(BEAT_SCHEDULE))
    PeriodicTask.objects.filter(name=name).update(enabled=False)
    sync_beat_schedule()
    assert PeriodicTask.objects.filter(name__in=BEAT_SCHEDULE).count() == len(BEAT_SCHEDULE)
    assert PeriodicTask.objects.get(name=name).enabled is False
