"""Settings come from the environment; production refuses to start half-configured.

Each case imports the settings in a fresh interpreter, because the values are
computed once at import time.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 64 + "-prod-like-secret-for-tests",
    "ALLOWED_HOSTS": "platform.example.com",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
}
# Anything that could leak in from the parent process (pytest-env, the CI shell) is replaced.
CONTROLLED = [
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_URL",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "CELERY_TASK_TIME_LIMIT",
    "CELERY_TASK_SOFT_TIME_LIMIT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the Playwright tests; never in a deployment
    "TRUSTED_PROXY_COUNT",
    "AXES_PROXY_COUNT",
]

PRINT_SETTINGS = """
import json
from django.conf import settings
from nodebyte_platform.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "conn_max_age": db.get("CONN_MAX_AGE", 0),
    "conn_health_checks": db.get("CONN_HEALTH_CHECKS", False),
    "atomic_requests": db.get("ATOMIC_REQUESTS", False),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION", ""),
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "acks_late": app.conf.task_acks_late,
    "time_limit": app.conf.task_time_limit,
    "soft_time_limit": app.conf.task_soft_time_limit,
    "serializer": app.conf.task_serializer,
    "accept": list(app.conf.accept_content),
    "beat_scheduler": settings.CELERY_BEAT_SCHEDULER,
    "email_backend": settings.EMAIL_BACKEND,
    "csrf_trusted_origins": settings.CSRF_TRUSTED_ORIGINS,
    "allowed_hosts": settings.ALLOWED_HOSTS,
}))
"""


def run_python(code: str, **env_values: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in CONTROLLED}
    env.update(env_values)
    env["DJANGO_SETTINGS_MODULE"] = "nodebyte_platform.settings"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def load_settings(**env_values: str) -> dict:
    result = run_python(PRINT_SETTINGS, **env_values)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL"])
def test_production_without_a_required_variable_stops_with_one_line_naming_it(missing):
    # Empty rather than absent: an explicit value also wins over a developer's .env file.
    values = {**PRODUCTION, missing: ""}
    result = run_python("import django; django.setup()", **values)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr  # one line, not a traceback
    assert missing in lines[0]
    assert "Traceback" not in result.stderr


def test_debug_mode_starts_without_secret_key_or_allowed_hosts():
    loaded = load_settings(DEBUG="1")
    assert "127.0.0.1" in loaded["allowed_hosts"]


def test_production_without_email_url_refuses_to_start_instead_of_logging_reset_links():
    # The console backend used to be the default with DEBUG off too, printing password-reset links.
    # Empty rather than absent, so that a developer's .env cannot fill it in.
    refused = run_python("import django; django.setup()", **{**PRODUCTION, "EMAIL_URL": ""})
    assert refused.returncode == 2
    assert refused.stderr.strip() == "ImproperlyConfigured: EMAIL_URL must be set when DEBUG is off."

    started = load_settings(**PRODUCTION)
    assert started["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    # The demo keeps printing mail to the console without any mail set-up.
    assert load_settings(DEBUG="1", EMAIL_URL="")["email_backend"] == "django.core.mail.backends.console.EmailBackend"


def test_without_redis_url_tasks_run_in_process_and_the_cache_is_local_memory():
    loaded = load_settings(**PRODUCTION)
    assert loaded["eager"] is True
    assert loaded["broker"].startswith("memory://")
    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_with_redis_url_celery_and_the_cache_use_redis():
    loaded = load_settings(**PRODUCTION, REDIS_URL="redis://127.0.0.1:6379/3")
    assert loaded["eager"] is False
    assert loaded["broker"] == "redis://127.0.0.1:6379/3"
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["cache_location"] == "redis://127.0.0.1:6379/3"


def test_celery_defaults_are_safe():
    loaded = load_settings(**PRODUCTION)
    assert loaded["acks_late"] is True
    assert loaded["time_limit"] > loaded["soft_time_limit"] > 0
    assert loaded["serializer"] == "json"
    assert loaded["accept"] == ["json"]
    assert loaded["beat_scheduler"] == "django_celery_beat.schedulers:DatabaseScheduler"


TASK_TIME_LIMITS = """
import json
from nodebyte_platform.celery import app
app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
limits = {name: task.time_limit or app.conf.task_time_limit for name, task in app.tasks.items()
          if not name.startswith("celery.")}
print(json.dumps({"limits": limits, "transport": app.conf.broker_transport_options}))
"""


@pytest.mark.parametrize(
    ("limits", "expected_longest"),
    [({}, 300), ({"CELERY_TASK_TIME_LIMIT": "7200", "CELERY_TASK_SOFT_TIME_LIMIT": "7000"}, 7200)],
)
def test_the_broker_never_redelivers_a_task_that_may_still_be_running(limits, expected_longest):
    result = run_python(TASK_TIME_LIMITS, **PRODUCTION, REDIS_URL="redis://127.0.0.1:6379/3", **limits)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert "ledger.reconcile_ledger" in loaded["limits"]  # the tasks were found
    longest = max(loaded["limits"].values())
    assert longest == expected_longest
    # Above the longest run (Celery's default of one hour is not), with room for a wait in a
    # worker's prefetch.
    assert loaded["transport"]["visibility_timeout"] >= 2 * longest


def test_default_database_is_sqlite_next_to_manage_py():
    loaded = load_settings(**PRODUCTION)
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert Path(loaded["name"]) == BASE_DIR / "db.sqlite3"
    assert loaded["atomic_requests"] is False


def test_postgres_keeps_connections_with_health_checks():
    loaded = load_settings(**PRODUCTION, DATABASE_URL="postgres://app:pw@db.internal:5432/platform")
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["conn_max_age"] > 0
    assert loaded["conn_health_checks"] is True
    assert loaded["atomic_requests"] is False


def test_email_url_and_csrf_trusted_origins_come_from_the_environment():
    loaded = load_settings(
        **{**PRODUCTION, "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587"},
        CSRF_TRUSTED_ORIGINS="https://platform.example.com,https://admin.example.com",
    )
    assert loaded["email_backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["csrf_trusted_origins"] == ["https://platform.example.com", "https://admin.example.com"]
    assert load_settings(DEBUG="1")["email_backend"] == "django.core.mail.backends.console.EmailBackend"


@pytest.mark.slow
def test_deploy_checks_report_nothing_in_production():
    result = run_python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION,
        REDIS_URL="redis://127.0.0.1:6379/3",
        CSRF_TRUSTED_ORIGINS="https://platform.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


CLIENT_ADDRESSES = """
import json
import django
django.setup()
from allauth.account.adapter import get_adapter
from axes.helpers import get_client_ip_address
from django.test import RequestFactory
# A client that sent its own X-Forwarded-For, behind two proxies that each appended what they saw.
request = RequestFactory().get(
    "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.9, 10.0.0.1"
)
print(json.dumps({"allauth": get_adapter(request).get_client_ip(request), "axes": get_client_ip_address(request)}))
"""


@pytest.mark.parametrize(
    ("values", "client"),
    [
        ({}, "10.0.0.2"),
        ({"TRUSTED_PROXY_COUNT": "2"}, "203.0.113.9"),
        ({"AXES_PROXY_COUNT": "2"}, "203.0.113.9"),  # the deprecated name still works
        ({"TRUSTED_PROXY_COUNT": "1", "AXES_PROXY_COUNT": "2"}, "10.0.0.1"),  # the new name wins
    ],
)
def test_one_proxy_count_drives_the_client_address_of_axes_and_allauth(values, client):
    result = run_python(CLIENT_ADDRESSES, **PRODUCTION, **values)
    assert result.returncode == 0, result.stderr
    addresses = json.loads(result.stdout.strip().splitlines()[-1])
    assert addresses == {"allauth": client, "axes": client}
