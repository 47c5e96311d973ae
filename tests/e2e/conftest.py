"""Headless Chromium for the end-to-end tests (Debian's /usr/bin/chromium, driven by Playwright)."""

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_settings(settings, monkeypatch):
    """What every browser test needs of the live server."""
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous and safe. Set for this test only, so it never leaks into other tests'
    # subprocesses (check --deploy refuses it).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return settings
