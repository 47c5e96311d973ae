"""Shared fixtures. Tests run on PostgreSQL when DATABASE_URL points at it, SQLite otherwise.

Settings every test needs (fast hasher, plain static files, no staff TOTP) are in tests/settings.py.
"""

import pytest
from django.conf import settings


def pytest_collection_modifyitems(config, items):
    if settings.DATABASE_IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True, scope="session")
def _flush_past_ledger_truncate_guard():
    """Let the test runner's flush (TRUNCATE, after transactional tests) pass the ledger's
    append-only TRUNCATE triggers; everywhere else they keep refusing.

    No session setting an ordinary role may write switches those triggers off (migration
    ledger/0009): the tests connect as the superuser `postgres`, and `session_replication_role =
    replica`, which only a superuser may set, stops ordinary triggers for the flush.
    """
    from django.db import connections
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        postgres = [connections[alias] for alias in self._databases_names(include_mirrors=False)]
        postgres = [c for c in postgres if c.vendor == "postgresql"]
        for connection in postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
        try:
            return original(self)
        finally:
            for connection in postgres:
                with connection.cursor() as cursor:
                    cursor.execute("RESET session_replication_role")

    TransactionTestCase._fixture_teardown = _fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(autouse=True)
def _tasks_run_in_process():
    """Tasks run in-process in tests even when REDIS_URL is set (CI): no worker consumes the broker
    there. tests/test_celery.py starts a real worker to cover the broker path."""
    from nodebyte_platform.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _no_kept_rows():
    """The API keeps tokens, the ledger system wallets, per process; a row rolled back with a test
    must not outlive it there."""
    from ledger.services.wallets import forget_system_wallets
    from nodebyte_platform.api.auth import forget_cached_tokens

    forget_cached_tokens()
    forget_system_wallets()
    yield
