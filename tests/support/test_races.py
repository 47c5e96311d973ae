"""Real threads on PostgreSQL: ten workers given one due delivery post it once; ten reactions
noticing one low balance at once write one notice."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from werkzeug import Response

from support import services
from support.models import DeliveryStatus, Notification, NotificationType, WebhookDelivery, WebhookEndpoint
from support.webhooks import signing
from tests.factories.accounts import CustomerFactory, PartnerApplicationFactory, PartnerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(fn, *args):
    try:
        return fn(*args)
    finally:
        connection.close()


@pytest.mark.timeout(60, func_only=True)
def test_ten_workers_send_one_due_delivery_once(httpserver):
    hits = []
    httpserver.expect_request("/hooks").respond_with_handler(lambda request: hits.append(1) or Response(status=204))
    endpoint = WebhookEndpoint.objects.create(
        application=PartnerApplicationFactory(partner=PartnerFactory()),
        url=httpserver.url_for("/hooks"),
        event_types=["payment.completed"],
        secret=signing.new_secret(),
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="payment.completed",
        dedupe_key="race",
        payload={},
        message_id="msg_race",
        next_attempt_at=None,
    )
    barrier = threading.Barrier(10)

    def worker():
        barrier.wait()
        return services.send_delivery(delivery_id=delivery.pk)

    with ThreadPoolExecutor(10) as pool:
        outcomes = [f.result() for f in [pool.submit(_in_thread, worker) for _ in range(10)]]
    assert sorted(outcomes) == ["delivered"] + ["not due"] * 9
    assert len(hits) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1


@pytest.mark.timeout(60, func_only=True)
def test_ten_simultaneous_low_balance_notices_write_one():
    customer = CustomerFactory()
    barrier = threading.Barrier(10)

    def worker():
        barrier.wait()
        notice = services.notify(
            customer=customer,
            type=NotificationType.LOW_BALANCE,
            context={"asset": "EUR", "balance": "1.00", "threshold": "10.00"},
            topic="EUR",
        )
        return notice is not None

    with ThreadPoolExecutor(10) as pool:
        written = [f.result() for f in [pool.submit(_in_thread, worker) for _ in range(10)]]
    assert written.count(True) == 1
    assert Notification.objects.filter(user=customer.user, type=NotificationType.LOW_BALANCE).count() == 1
