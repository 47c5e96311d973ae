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
    append-only TRUNCATE triggers; everywhere else they keep refusing."""
    import pgtrigger
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        with pgtrigger.ignore(
            "ledger.Transfer:ledger_transfer_no_truncate", "ledger.Posting:ledger_posting_no_truncate"
        ):
            return original(self)

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
