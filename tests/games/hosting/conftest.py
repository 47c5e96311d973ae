import pytest

from games.hosting.panels import http as panel_http
from tests.factories.accounts import CustomerFactory
from tests.factories.games import IntegrationFactory
from tests.games.hosting.panel import API_KEY, FakePanel


@pytest.fixture(autouse=True)
def recorded_waits(monkeypatch, settings):
    """Retries wait by recording, not sleeping; each test's panel gets a fresh rate-limit bucket."""
    waits = []
    monkeypatch.setattr(panel_http, "pause", waits.append)
    monkeypatch.setattr(panel_http, "_buckets", {})
    settings.PANEL_RATE_LIMIT_PER_MINUTE = 100000
    return waits


@pytest.fixture
def panel(httpserver):
    return FakePanel().seed().install(httpserver)


@pytest.fixture
def integration(httpserver, db):
    return IntegrationFactory(url=httpserver.url_for("/").rstrip("/"), api_key=API_KEY)


@pytest.fixture
def customers(db):
    """The panel's users alice and bob, as our customers (matched by email)."""
    alice = CustomerFactory(user__email="alice@example.test", user__username="alice")
    bob = CustomerFactory(user__email="bob@example.test", user__username="bob")
    return alice, bob
