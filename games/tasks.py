"""Celery wrappers of the games jobs."""

from celery import shared_task

from games import services


@shared_task(name="games.expire_metered_sessions")
def expire_metered_sessions() -> dict:
    return services.expire_metered_sessions()
