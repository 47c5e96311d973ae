"""Support fixtures: a partner endpoint pointed at a local receiver (pytest-httpserver)."""

import pytest

from support.models import WebhookEndpoint
from support.webhooks import signing
from tests.api.conftest import api, world  # noqa: F401 - the partner API fixtures, for tests/support/test_api.py
from tests.factories.accounts import PartnerApplicationFactory, PartnerFactory


@pytest.fixture
def endpoint_at(db):
    """endpoint_at(url, events) -> a partner application's active endpoint, secret in the spec's format."""

    def make(url: str, event_types=("payment.completed",)) -> WebhookEndpoint:
        application = PartnerApplicationFactory(partner=PartnerFactory())
        return WebhookEndpoint.objects.create(
            application=application, url=url, event_types=list(event_types), secret=signing.new_secret()
        )

    return make
