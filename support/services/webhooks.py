"""Webhook deliveries, partner endpoints and Discord webhooks.

Every delivery is a `WebhookDelivery` row written in the transaction of the event that caused it
(an outbox). Once that commits, a task sends it: the attempt is claimed first (attempts + 1 and a
lease on `next_attempt_at`, committed), then posted, then its outcome recorded. A worker killed
while posting leaves the row pending with its lease, and the retry job sends it again when the
lease ends: at least once, the same `webhook-id` every time, so the receiver can de-duplicate.
Network errors, 408, 429 (honouring Retry-After) and 5xx are retried after the delays of
WEBHOOK_RETRY_SCHEDULE with jitter, then the delivery fails; other answers fail at once. A
receiver failing every delivery for WEBHOOK_DISABLE_AFTER_DAYS is disabled and its owner told.
"""

import hashlib
import json
import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import PartnerApplication
from support import config
from support.errors import ValidationFailed
from support.models import (
    DeliveryStatus,
    DiscordWebhook,
    NotificationType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookStatus,
)
from support.services.notifications import notify_user
from support.webhooks import client, signing

logger = logging.getLogger(__name__)

# The event types partners may subscribe to, and what each means.
PARTNER_EVENT_TYPES: dict[str, str] = {
    "payment.completed": "A player's payment or top-up was confirmed by its provider.",
    "payment.failed": "A player's payment failed.",
    "payment.refunded": "A payment was refunded.",
    "withdrawal.changed": "A withdrawal changed status.",
    "package.purchased": "A player bought a package of one of the partner's games.",
    "session.ended": "A game session of one of the partner's games ended.",
    "bet.settled": "A bet on one of the partner's games was settled.",
    "webhook.test": "A test message sent on request.",
}
MAX_ENDPOINTS_PER_APPLICATION = 10
JITTER = 0.2  # each delay is stretched or shrunk by up to a fifth, so retries of a burst spread out
MAX_RETRY_AFTER = timedelta(hours=24)


def _lease() -> timedelta:
    # Long enough for one attempt to finish (connect and read timeouts, then the outcome's write).
    return timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 30)


def _dedupe(*parts: str) -> str:
    text = ":".join(parts)
    if len(text) <= 191:
        return text
    return text[:120] + ":" + hashlib.sha256(text.encode()).hexdigest()


# --- partner endpoints -----------------------------------------------------------------


def _clean_endpoint_fields(*, url: str, event_types) -> tuple[str, list[str]]:
    url = (url or "").strip()
    if not url or len(url) > 500:
        raise ValidationFailed("The endpoint needs a URL of at most 500 characters.", details={"field": "url"})
    try:
        client.validate_url(url)
    except client.DeliveryError as exc:
        raise ValidationFailed(str(exc), details={"field": "url"}) from exc
    if "@" in url.split("/")[2]:
        raise ValidationFailed("The URL may not carry a user name or password.", details={"field": "url"})
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationFailed("Name at least one event type.", details={"field": "event_types"})
    unknown = sorted({str(t) for t in event_types} - set(PARTNER_EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown event types: {', '.join(unknown)}.",
            details={"field": "event_types", "known": sorted(PARTNER_EVENT_TYPES)},
        )
    return url, sorted(set(event_types))


def create_endpoint(
    *, application: PartnerApplication, url: str, event_types, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register a partner application's endpoint; returns it and its secret (shown this once)."""
    url, event_types = _clean_endpoint_fields(url=url, event_types=event_types)
    secret = signing.new_secret()
    with transaction.atomic():
        PartnerApplication.objects.select_for_update().filter(pk=application.pk).first()
        if WebhookEndpoint.objects.filter(application=application).count() >= MAX_ENDPOINTS_PER_APPLICATION:
            raise ValidationFailed(
                f"An application has at most {MAX_ENDPOINTS_PER_APPLICATION} endpoints.",
                details={"field": "url", "code": "too_many_endpoints"},
            )
        endpoint = WebhookEndpoint.objects.create(
            application=application,
            url=url,
            event_types=event_types,
            description=(description or "")[:255],
            secret=secret,
        )
    return endpoint, secret


def update_endpoint(
    *, endpoint: WebhookEndpoint, url: str, event_types, description: str = "", is_active: bool = True
) -> WebhookEndpoint:
    """Change an endpoint; switching a disabled one back on clears its failure record."""
    url, event_types = _clean_endpoint_fields(url=url, event_types=event_types)
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.url, locked.event_types, locked.description = url, event_types, (description or "")[:255]
        if is_active and not locked.is_active:
            locked.failing_since = locked.disabled_at = None
            locked.disabled_reason = ""
        elif not is_active and locked.is_active:
            locked.disabled_at = timezone.now()
            locked.disabled_reason = "Switched off by its owner."
        locked.is_active = is_active
        locked.save()
        return locked


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def rotate_endpoint_secret(*, endpoint: WebhookEndpoint) -> str:
    """A new secret; the current one keeps signing beside it for WEBHOOK_SECRET_OVERLAP_HOURS."""
    secret = signing.new_secret()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = timezone.now() + config.secret_overlap()
        locked.secret = secret
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return secret


def signing_secrets(endpoint: WebhookEndpoint, *, now=None) -> list[str]:
    now = now or timezone.now()
    keys = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        keys.append(endpoint.previous_secret)
    return keys


def _endpoints_for(*, event_type: str, studio_id=None, user_id=None):
    """Active endpoints subscribed to `event_type` that may see this event: those of the studio's
    partners when it is about a studio's game; when it is about a player, the applications the
    player authorised."""
    endpoints = WebhookEndpoint.objects.filter(is_active=True).select_related("application__partner")
    if studio_id is not None:
        endpoints = endpoints.filter(application__partner__studio_id=studio_id)
    if user_id is not None:
        from oauth2_provider.models import AccessToken, RefreshToken

        granted = set(AccessToken.objects.filter(user_id=user_id).values_list("application_id", flat=True))
        granted |= set(RefreshToken.objects.filter(user_id=user_id).values_list("application_id", flat=True))
        endpoints = endpoints.filter(application_id__in=granted)
    return [e for e in endpoints.order_by("pk") if event_type in (e.event_types or [])]


def enqueue_partner_event(
    *, event_type: str, key: str, data: dict, studio_id=None, user_id=None
) -> list[WebhookDelivery]:
    """Write one delivery per endpoint that receives this event, in the caller's transaction; they
    are sent once it commits. The same (event, key) enqueued again adds nothing."""
    if event_type not in PARTNER_EVENT_TYPES:
        raise ValidationFailed(f"Unknown partner event type {event_type!r}.", details={"field": "event_type"})
    now = timezone.now()
    envelope = {"type": event_type, "timestamp": now.isoformat(), "data": data}
    deliveries = []
    for endpoint in _endpoints_for(event_type=event_type, studio_id=studio_id, user_id=user_id):
        delivery, created = WebhookDelivery.objects.get_or_create(
            dedupe_key=_dedupe(event_type, key, str(endpoint.public_id)),
            defaults={
                "endpoint": endpoint,
                "event": event_type,
                "payload": envelope,
                "message_id": signing.new_message_id(),
                "next_attempt_at": now,
            },
        )
        if created:
            deliveries.append(delivery)
    _send_after_commit([d.pk for d in deliveries])
    return deliveries


def send_test_event(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` message to one endpoint (sent after commit like any other)."""
    with transaction.atomic():
        now = timezone.now()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event="webhook.test",
            dedupe_key=_dedupe("webhook.test", now.isoformat(), str(endpoint.public_id)),
            payload={
                "type": "webhook.test",
                "timestamp": now.isoformat(),
                "data": {"endpoint_id": str(endpoint.public_id)},
            },
            message_id=signing.new_message_id(),
            next_attempt_at=now,
        )
        _send_after_commit([delivery.pk])
    return delivery


def _send_after_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(lambda: _dispatch(delivery_ids), robust=True)


def _dispatch(delivery_ids: list[int]) -> None:
    from support.tasks import send_webhook_delivery_task

    for delivery_id in delivery_ids:
        try:
            send_webhook_delivery_task.delay(delivery_id)
        except Exception:  # the broker is down: the row stays due for the retry job
            logger.exception("webhook delivery %s could not be queued; the retry job will send it", delivery_id)


def replay_delivery(*, delivery: WebhookDelivery, by=None) -> WebhookDelivery:
    """Send a delivery's message again (same webhook-id, so the receiver knows it), as a new row."""
    with transaction.atomic():
        now = timezone.now()
        receiver = delivery.receiver
        if receiver is None or not receiver.is_active:
            raise ValidationFailed(
                "The receiver is disabled; switch it back on before replaying.", details={"code": "receiver_disabled"}
            )
        replay = WebhookDelivery.objects.create(
            webhook=delivery.webhook,
            endpoint=delivery.endpoint,
            replay_of=delivery,
            event=delivery.event,
            dedupe_key=_dedupe("replay", str(delivery.pk), now.isoformat()),
            payload=delivery.payload,
            message_id=delivery.message_id or signing.new_message_id(),
            next_attempt_at=now,
        )
        _send_after_commit([replay.pk])
    return replay


# --- sending -------------------------------------------------------------------------------


def due_deliveries(*, now=None):
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "pk"
    )


def _request_for(delivery: WebhookDelivery, now) -> tuple[str, bytes, dict]:
    if delivery.endpoint_id is not None:
        endpoint = delivery.endpoint
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
        headers = signing.signed_headers(
            secrets=signing_secrets(endpoint, now=now), message_id=delivery.message_id, timestamp=now, body=body
        )
        return endpoint.url, body.encode(), headers
    return delivery.webhook.webhook_url, json.dumps(delivery.payload).encode(), {}


def _claim(delivery_id: int, now) -> WebhookDelivery | None:
    """Take the next attempt of a due delivery: attempts + 1, and a lease, committed before sending."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "webhook")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .first()
        )
        if delivery is None:
            return None
        receiver = delivery.receiver
        if not receiver.is_active:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "The receiver is disabled."
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + _lease()
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery


def send_delivery(*, delivery_id: int) -> str:
    """One attempt of a due delivery. Returns delivered, retrying, failed, or not due."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "not due"
    answer, error, retryable, retry_after = None, "", False, None
    try:
        url, body, headers = _request_for(delivery, now)
        answer = client.post(url, body=body, headers=headers)
    except client.DeliveryError as exc:
        error, retryable = str(exc), exc.retryable
    else:
        if not answer.ok:
            retryable = answer.retryable
            retry_after = answer.retry_after_seconds
            error = f"HTTP {answer.status_code}" + (
                " (redirects are not followed)" if 300 <= answer.status_code < 400 else ""
            )
    return _record_outcome(delivery, answer=answer, error=error, retryable=retryable, retry_after=retry_after)


def _next_delay(attempts: int, retry_after: float | None) -> timedelta | None:
    """The wait before the next attempt, None when the schedule is used up."""
    schedule = config.retry_schedule()
    if attempts > len(schedule):
        return None
    delay = schedule[attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


def _record_outcome(delivery, *, answer, error: str, retryable: bool, retry_after) -> str:
    now = timezone.now()
    with transaction.atomic():
        row = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if row.status != DeliveryStatus.PENDING:
            return row.status  # a replay or a second worker settled it meanwhile
        row.response_status = answer.status_code if answer else None
        row.response_body = answer.body if answer else ""
        if answer is not None and answer.ok:
            row.status = DeliveryStatus.DELIVERED
            row.delivered_at = now
            row.next_attempt_at = None
            row.last_error = ""
            outcome = "delivered"
        else:
            row.last_error = error[:2000]
            delay = _next_delay(row.attempts, retry_after) if retryable else None
            if delay is None:
                row.status = DeliveryStatus.FAILED
                row.next_attempt_at = None
                outcome = "failed"
            else:
                row.next_attempt_at = now + delay
                outcome = "retrying"
        row.save()
        _record_receiver_health(row, delivered=outcome == "delivered", now=now)
    return outcome


def _record_receiver_health(delivery: WebhookDelivery, *, delivered: bool, now) -> None:
    if delivery.endpoint_id is not None:
        receiver = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    else:
        receiver = DiscordWebhook.objects.select_for_update().get(pk=delivery.webhook_id)
    if delivered:
        if receiver.failing_since is not None:
            receiver.failing_since = None
            receiver.save(update_fields=["failing_since", "updated_at"])
        if isinstance(receiver, DiscordWebhook) and receiver.status != WebhookStatus.VALID:
            DiscordWebhook.objects.filter(pk=receiver.pk).update(
                status=WebhookStatus.VALID, last_validated_at=now, failure_count=0
            )
        return
    receiver.failing_since = receiver.failing_since or now
    fields = ["failing_since", "updated_at"]
    if isinstance(receiver, DiscordWebhook):
        receiver.failure_count += 1
        fields.append("failure_count")
    if receiver.is_active and now - receiver.failing_since >= config.endpoint_disable_after():
        _disable(receiver, now=now)
        fields += ["is_active"] + (
            ["disabled_at", "disabled_reason"] if isinstance(receiver, WebhookEndpoint) else ["status"]
        )
    receiver.save(update_fields=fields)


def _disable(receiver, *, now) -> None:
    since = receiver.failing_since.strftime("%Y-%m-%d %H:%M UTC")
    receiver.is_active = False
    if isinstance(receiver, WebhookEndpoint):
        receiver.disabled_at = now
        receiver.disabled_reason = f"Every delivery failed since {since}."
        owner = receiver.application.partner.user if receiver.application.partner_id else receiver.application.user
        name = receiver.url
    else:
        receiver.status = WebhookStatus.INVALID
        owner = receiver.owner
        name = receiver.name
    if owner is None:
        logger.warning("webhook receiver %s disabled; it has no owner account to tell", receiver.pk)
        return
    notify_user(
        user=owner,
        type=NotificationType.WEBHOOK_DISABLED,
        context={"name": name, "since": since},
        dedupe_key=_dedupe("webhook-disabled", type(receiver).__name__, str(receiver.pk), now.isoformat()),
    )
