"""Settings of the API benchmark: the project's own, plus a baseline view and plain static storage."""

import os as _os

from nodebyte_platform.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.api_urls"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405

if _os.environ.get("BENCH_NO_HEALTH_CHECKS"):
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405
