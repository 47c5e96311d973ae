import pytest


@pytest.fixture(autouse=True)
def _admin_test_settings(settings):
    # Admin pages render {% static %} (the manifest storage used with DEBUG off needs collectstatic);
    # the staff TOTP gate has its own tests in tests/accounts.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.STAFF_REQUIRE_MFA = False
