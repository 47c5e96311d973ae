"""Settings of the test suite: the project's, plus what every test needs, set once here.

- A fast password hasher: the project's Argon2 is slow on purpose. A test of hashing itself
  sets `PASSWORD_HASHERS = PRODUCTION_PASSWORD_HASHERS` (tests/accounts/test_oauth.py).
- Plain static file storage: tests run with DEBUG off and without collectstatic, so the
  manifest storage production uses has no manifest to look names up in.
- Staff without the TOTP step; tests/accounts/test_lockout_and_mfa.py turns it on to test it.
- The sandbox payment gateway on (production keeps it off).
- allauth's rate limits off; the lockout tests put the project's back.
- Cache keys apart per pytest-xdist worker (below).
"""

import os

from nodebyte_platform.settings import *  # noqa: F403
from nodebyte_platform.settings import CACHES, PASSWORD_HASHERS, STORAGES

PRODUCTION_PASSWORD_HASHERS = PASSWORD_HASHERS
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STAFF_REQUIRE_MFA = False
# Tests run with DEBUG off, where the sandbox gateway is off by default; the suite pays through it.
PAYMENT_SANDBOX_ENABLED = True
ACCOUNT_RATE_LIMITS = False

# pytest-xdist workers each have a test database of their own, where the same ids recur; with
# REDIS_URL set they share one Redis, so each keeps its cache keys (throttle windows, the API's
# token generation, allauth's and axes' counters) apart.
CACHES = {
    name: {**config, "KEY_PREFIX": f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"}
    for name, config in CACHES.items()
}

# Ticket attachments of the whole run in one temporary directory (support.storage keeps one storage).
PRIVATE_MEDIA_ROOT = __import__("tempfile").mkdtemp(prefix="nb-private-media-")
# The suite's receivers (pytest-httpserver) listen on 127.0.0.1; the address guard's own tests
# switch this off to see it refuse them.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
WEBHOOK_TIMEOUT_SECONDS = 2.0
