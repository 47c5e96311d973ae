"""`/healthz`: is each backing service reachable?

Answers 200 when the database, the cache and the broker all answer, or 503 naming
the ones that did not, so a load balancer or an operator sees at once which
dependency is down. Without REDIS_URL there is no broker (tasks run in-process);
the broker is then reported as "in-process" and does not count as down.
"""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app

logger = logging.getLogger(__name__)

OK = "ok"
DOWN = "down"
IN_PROCESS = "in-process"


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_cache() -> str:
    cache.set("healthz", "ok", timeout=5)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return the value just written")
    return OK


def check_broker() -> str:
    url = celery_app.conf.broker_write_url or celery_app.conf.broker_url or ""
    if url.startswith("memory://"):
        return IN_PROCESS
    with celery_app.connection_for_write(url, connect_timeout=2) as conn:
        # One attempt, no back-off sleep: a probe must answer fast.
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    return OK


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


@never_cache
@require_GET
def healthz(request):
    results, down = {}, []
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # any failure means "down"; the reason goes to the log, not the body
            logger.warning("healthz: %s is down: %s", name, exc)
            results[name] = DOWN
            down.append(name)
    body = {"status": DOWN if down else OK, "checks": results}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)
