"""Celery application: tasks autodiscovered from each app's tasks.py.

Without REDIS_URL the settings make every task run eagerly in-process, so the
demo needs no broker. The beat schedule is defined in code (`schedule.py`);
django-celery-beat's DatabaseScheduler writes it into its tables when beat
starts, where staff can read and pause it in admin.
"""

import os

from celery import Celery

from .schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nodebyte_platform.settings")

app = Celery("nodebyte_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()


@app.task(name="nodebyte_platform.ping")
def ping() -> str:
    """Round-trip check used by health probes and tests."""
    return "pong"


def sync_beat_schedule() -> int:
    """Write BEAT_SCHEDULE into django-celery-beat's tables (idempotent); return the entry count."""
    from django_celery_beat.schedulers import DatabaseScheduler

    for name, entry in app.conf.beat_schedule.items():
        DatabaseScheduler.Entry.from_entry(name, app=app, **entry)
    return len(app.conf.beat_schedule)
