"""Shared fixtures. Tests run on PostgreSQL when DATABASE_URL points at it, SQLite otherwise."""

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
