"""`/healthz`: is each backing service reachable?

Answers 200 with every check "ok", or 503 naming the checks that failed, so a
load balancer or an operator sees at once which dependency is down.
"""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    cache.set("healthz", "ok", timeout=5)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return the value just written")


def check_broker() -> None:
    if celery_app.conf.task_always_eager:
        return  # no broker configured: tasks run in-process
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


@never_cache
@require_GET
def healthz(request):
    results, down = {}, []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "down"; the reason is logged
            logger.warning("healthz: %s is down: %s", name, exc)
            results[name] = "down"
            down.append(name)
        else:
            results[name] = "ok"
    body = {"status": "ok" if not down else "down", "checks": results}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
