"""Every check and unique constraint of support refuses the bad row in the database."""

from decimal import Decimal

import pytest

from support.models import Notification, NotificationSettings, WebhookScope
from tests.constraint_cases import assert_duplicate_refused, assert_update_refused
from tests.factories.games import ServerFactory
from tests.factories.support import (
    DiscordWebhookFactory,
    NotificationFactory,
    NotificationSettingsFactory,
    TicketFactory,
    WebhookDeliveryFactory,
)

pytestmark = pytest.mark.django_db


def test_closed_ticket_needs_closing_time():
    assert_update_refused(TicketFactory(), status="closed", closed_at=None)


def test_notification_settings_negative_threshold_refused():
    assert_update_refused(NotificationSettingsFactory(), low_balance_threshold=Decimal("-1"))


def test_one_notification_settings_per_user():
    settings_row = NotificationSettingsFactory()
    assert_duplicate_refused(lambda: NotificationSettings.objects.create(user=settings_row.user))


def test_notification_dedupe_key_unique():
    NotificationFactory(dedupe_key="low_balance:1:2026-11-21")
    other = NotificationFactory()
    assert_update_refused(other, dedupe_key="low_balance:1:2026-11-21")


def test_notifications_without_dedupe_key_coexist():
    first = NotificationFactory(dedupe_key=None)
    second = NotificationFactory(dedupe_key=None)
    stored = Notification.objects.filter(pk__in=[first.pk, second.pk], dedupe_key__isnull=True)
    assert stored.count() == 2


def test_account_webhook_must_not_name_a_server():
    webhook = DiscordWebhookFactory()
    assert_update_refused(webhook, server=ServerFactory())


def test_server_webhook_must_name_a_server():
    webhook = DiscordWebhookFactory()
    assert_update_refused(webhook, scope=WebhookScope.SERVER)


def test_server_webhook_with_server_accepted():
    server = ServerFactory()
    webhook = DiscordWebhookFactory(scope=WebhookScope.SERVER, server=server, owner=server.customer.user)
    assert webhook.server == server


def test_webhook_delivery_dedupe_key_unique():
    delivery = WebhookDeliveryFactory()
    other = WebhookDeliveryFactory(webhook=delivery.webhook)
    assert_update_refused(other, dedupe_key=delivery.dedupe_key)
