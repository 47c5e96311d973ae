"""Partner webhooks end to end against a local receiver: Standard Webhooks signatures verified with
the library's own verifier, retries with backoff, a worker killed mid-send, the address guard."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook
from werkzeug import Response

from support import services
from support.models import DeliveryStatus, Notification, NotificationType, WebhookDelivery, WebhookEndpoint
from support.services import webhooks as webhook_services
from support.tasks import retry_webhook_deliveries
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """A partner's receiver: verifies each request with standardwebhooks' Webhook.verify, answers
    from a script of statuses (then 204), and keeps what it accepted by webhook-id."""

    def __init__(self, secret: str, script=()):
        self.verifier = Webhook(secret)
        self.script = list(script)
        self.requests = []
        self.accepted: dict[str, dict] = {}

    def __call__(self, request):
        headers = {k: v for k, v in request.headers.items()}
        body = request.get_data(as_text=True)
        payload = self.verifier.verify(body, headers)  # raises on a bad signature: the test fails
        self.requests.append(headers["Webhook-Id"])
        answer = self.script.pop(0) if self.script else 204
        if isinstance(answer, Response):
            return answer
        if 200 <= answer < 300:
            self.accepted.setdefault(headers["Webhook-Id"], payload)
        return Response("", status=answer)


def deliver_payment_completed(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = services.enqueue_partner_event(
            event_type="payment.completed",
            key="payment:1",
            data={"payment_id": "pay_1", "amount": "25.00", "asset": "EUR"},
        )
    assert len(deliveries) == 1
    return WebhookDelivery.objects.get(pk=deliveries[0].pk)


def run_retries_after(delay: timedelta):
    with time_machine.travel(timezone.now() + delay, tick=False):
        retry_webhook_deliveries.run()


def test_a_signed_payment_completed_is_accepted_by_the_partners_verifier(
    httpserver, endpoint_at, django_capture_on_commit_callbacks
):
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    receiver = Receiver(endpoint.secret)
    httpserver.expect_request("/hooks", method="POST").respond_with_handler(receiver)

    delivery = deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    payload = receiver.accepted[delivery.message_id]
    assert payload["type"] == "payment.completed"
    assert payload["data"] == {"payment_id": "pay_1", "amount": "25.00", "asset": "EUR"}


def test_a_receiver_failing_twice_gets_the_event_once_after_three_attempts(
    httpserver, endpoint_at, django_capture_on_commit_callbacks
):
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    receiver = Receiver(endpoint.secret, script=[503, 500])
    httpserver.expect_request("/hooks").respond_with_handler(receiver)

    delivery = deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_status == 503
    # Not yet due: the first retry waits the schedule's first delay (5 s, with jitter).
    retry_webhook_deliveries.run()
    assert len(receiver.requests) == 1
    run_retries_after(timedelta(seconds=7))
    run_retries_after(timedelta(minutes=7))

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert receiver.requests == [delivery.message_id] * 3
    assert list(receiver.accepted) == [delivery.message_id]


def test_retry_after_of_a_429_is_honoured(httpserver, endpoint_at, django_capture_on_commit_callbacks):
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    receiver = Receiver(endpoint.secret, script=[Response("slow down", status=429, headers={"Retry-After": "120"})])
    httpserver.expect_request("/hooks").respond_with_handler(receiver)

    delivery = deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)

    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=110) < wait <= timedelta(seconds=121)
    assert delivery.response_body == "slow down"


def test_a_worker_killed_mid_delivery_sends_it_again_with_the_same_webhook_id(
    httpserver, endpoint_at, django_capture_on_commit_callbacks
):
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    receiver = Receiver(endpoint.secret)
    httpserver.expect_request("/hooks").respond_with_handler(receiver)
    with django_capture_on_commit_callbacks(execute=False):
        [delivery] = services.enqueue_partner_event(event_type="payment.completed", key="payment:2", data={})

    # The worker claims the attempt, posts, and dies before it records the answer.
    claimed = webhook_services._claim(delivery.pk, timezone.now())
    url, body, headers = webhook_services._request_for(claimed, timezone.now())
    webhook_services.client.post(url, body=body, headers=headers)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1

    retry_webhook_deliveries.run()  # the lease still holds: nobody sends it twice at once
    assert len(receiver.requests) == 1
    run_retries_after(webhook_services._lease() + timedelta(seconds=1))

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert receiver.requests == [delivery.message_id, delivery.message_id]
    assert len(receiver.accepted) == 1  # the receiver de-duplicated by webhook-id


def test_after_the_schedule_the_delivery_fails(httpserver, endpoint_at, django_capture_on_commit_callbacks, settings):
    from constance.test import override_config

    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    httpserver.expect_request("/hooks").respond_with_data("down", status=502)
    with override_config(WEBHOOK_RETRY_SCHEDULE="5s,1m"):
        delivery = deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)
        run_retries_after(timedelta(seconds=10))
        run_retries_after(timedelta(minutes=3))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
    assert delivery.last_error == "HTTP 502"


def test_a_client_error_fails_at_once_and_redirects_are_not_followed(
    httpserver, endpoint_at, django_capture_on_commit_callbacks
):
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    httpserver.expect_request("/hooks").respond_with_data("", status=302, headers={"Location": "http://10.0.0.1/"})
    delivery = deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert "redirects are not followed" in delivery.last_error
    assert len(httpserver.log) == 1


def test_the_kept_response_body_is_capped(httpserver, endpoint_at, django_capture_on_commit_callbacks, settings):
    settings.WEBHOOK_RESPONSE_BODY_LIMIT = 100
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    httpserver.expect_request("/hooks").respond_with_data("x" * 100_000, status=200)
    delivery = deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)
    assert delivery.status == DeliveryStatus.DELIVERED and len(delivery.response_body) == 100


def test_a_url_resolving_to_loopback_is_refused_under_production_settings(
    httpserver, endpoint_at, django_capture_on_commit_callbacks, settings
):
    endpoint = endpoint_at(httpserver.url_for("/hooks").replace("http://", "https://"))
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    httpserver.expect_request("/hooks").respond_with_data("", status=204)

    delivery = deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)

    assert delivery.status == DeliveryStatus.FAILED
    assert "private, loopback or link-local" in delivery.last_error
    assert httpserver.log == []


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/hook", "https://localhost/hook", "https://169.254.169.254/x", "http://example.com/"]
)
def test_registering_a_private_or_plain_http_url_is_refused_in_production(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    from support.errors import ValidationFailed
    from tests.factories.accounts import PartnerApplicationFactory

    with pytest.raises(ValidationFailed) as refusal:
        services.create_endpoint(application=PartnerApplicationFactory(), url=url, event_types=["payment.completed"])
    assert refusal.value.details["field"] == "url"


def test_during_a_rotation_both_secrets_sign(httpserver, endpoint_at, django_capture_on_commit_callbacks):
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    old_secret = endpoint.secret
    new_secret = services.rotate_endpoint_secret(endpoint=endpoint)
    seen = []

    def handler(request):
        body, headers = request.get_data(as_text=True), dict(request.headers.items())
        Webhook(old_secret).verify(body, headers)
        Webhook(new_secret).verify(body, headers)
        seen.append(headers["Webhook-Signature"])
        return Response("", status=200)

    httpserver.expect_request("/hooks").respond_with_handler(handler)
    deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)
    assert len(seen) == 1 and len(seen[0].split(" ")) == 2

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        endpoint.refresh_from_db()
        assert webhook_services.signing_secrets(endpoint) == [new_secret]


def test_an_endpoint_failing_for_days_is_disabled_and_its_owner_told(
    httpserver, endpoint_at, django_capture_on_commit_callbacks
):
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    owner = UserFactory()
    endpoint.application.partner.user = owner
    endpoint.application.partner.save()
    httpserver.expect_request("/hooks").respond_with_data("", status=500)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)
    with time_machine.travel(start + timedelta(days=6), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.enqueue_partner_event(event_type="payment.completed", key="payment:later", data={})

    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert not endpoint.is_active and "Every delivery failed since" in endpoint.disabled_reason
    notice = Notification.objects.get(user=owner, type=NotificationType.WEBHOOK_DISABLED)
    assert endpoint.url in notice.message
    # Later events are not queued for a disabled endpoint.
    assert services.enqueue_partner_event(event_type="payment.completed", key="payment:3", data={}) == []


def test_replay_resends_the_same_message(httpserver, endpoint_at, django_capture_on_commit_callbacks):
    endpoint = endpoint_at(httpserver.url_for("/hooks"))
    receiver = Receiver(endpoint.secret)
    httpserver.expect_request("/hooks").respond_with_handler(receiver)
    delivery = deliver_payment_completed(endpoint, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        replay = services.replay_delivery(delivery=delivery)
    replay.refresh_from_db()
    assert replay.status == DeliveryStatus.DELIVERED and replay.replay_of == delivery
    assert receiver.requests == [delivery.message_id, delivery.message_id]
    body = json.loads(httpserver.log[-1][0].get_data(as_text=True))
    assert body["type"] == "payment.completed"


def test_events_reach_only_subscribed_endpoints(endpoint_at, django_capture_on_commit_callbacks):
    endpoint_at("https://hooks.example/a", event_types=["bet.settled"])
    wanted = endpoint_at("https://hooks.example/b", event_types=["payment.completed", "bet.settled"])
    with django_capture_on_commit_callbacks(execute=False):
        deliveries = services.enqueue_partner_event(event_type="payment.completed", key="p:9", data={})
        again = services.enqueue_partner_event(event_type="payment.completed", key="p:9", data={})
    assert [d.endpoint for d in deliveries] == [wanted]
    assert again == []
