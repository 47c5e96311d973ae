"""Players' Discord webhooks (seed 004 discord_webhooks): per server or account-wide, the event
kinds each receives, a `{{placeholder}}` message template rendered safely, and a test message.
Deliveries go through the same outbox as partner webhooks (support.services.webhooks)."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from support.errors import ValidationFailed
from support.models import DiscordWebhook, WebhookDelivery, WebhookScope, WebhookStatus
from support.rendering import placeholders_in, render_placeholders
from support.services.webhooks import _dedupe, _send_after_commit
from support.webhooks import signing

DISCORD_WEBHOOK_PREFIXES = (
    "https://discord.com/api/webhooks/",
    "https://discordapp.com/api/webhooks/",
    "https://canary.discord.com/api/webhooks/",
    "https://ptb.discord.com/api/webhooks/",
)
DISCORD_CONTENT_LIMIT = 2000

# event type -> (the webhook's switch for its kind, the default message)
DISCORD_EVENT_TYPES: dict[str, tuple[str, str]] = {
    "server.suspended": ("notify_server_events", "Server **{{server}}** was suspended: {{reason}}"),
    "server.status": ("notify_server_events", "Server **{{server}}** is now {{status}}."),
    "backup.completed": ("notify_backups", "Backup of **{{server}}** finished."),
    "player.event": ("notify_player_events", "{{message}}"),
    "invoice.issued": ("notify_billing", "Invoice {{number}} for {{amount}} {{asset}} is due on {{due}}."),
    "payment.completed": ("notify_billing", "Payment of {{amount}} {{asset}} received."),
    "ticket.replied": ("notify_tickets", "Support replied to “{{subject}}”."),
    "ticket.status": ("notify_tickets", "Ticket “{{subject}}” is now {{status}}."),
}
# What a template may use, besides each event's own names.
COMMON_PLACEHOLDERS = {"event", "message", "site"}
SAMPLE_CONTEXT = {
    "server": "survival-01",
    "status": "running",
    "reason": "an unpaid invoice",
    "number": "INV-0042",
    "amount": "9.99",
    "asset": "EUR",
    "due": "2026-01-01",
    "subject": "My server will not start",
    "message": "This is a test message from NodeByte.",
}


def validate_webhook_url(url: str) -> str:
    url = (url or "").strip()
    if not url.startswith(DISCORD_WEBHOOK_PREFIXES) or len(url.split("/")) < 7:
        raise ValidationFailed(
            "This is not a Discord webhook URL (https://discord.com/api/webhooks/<id>/<token>).",
            details={"field": "webhook_url"},
        )
    return url


def validate_template(template: str) -> str:
    known = set(SAMPLE_CONTEXT) | COMMON_PLACEHOLDERS
    unknown = sorted(placeholders_in(template or "") - known)
    if unknown:
        raise ValidationFailed(
            f"Unknown placeholders: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.",
            details={"field": "message_template"},
        )
    if len(template or "") > DISCORD_CONTENT_LIMIT:
        raise ValidationFailed(
            "The template is longer than Discord's 2,000 characters.", details={"field": "message_template"}
        )
    return template or ""


def save_discord_webhook(*, webhook: DiscordWebhook, new_url: str = "") -> DiscordWebhook:
    """Save a webhook's settings; a new URL (write-only, stored encrypted) resets its validation."""
    if new_url:
        webhook.webhook_url = validate_webhook_url(new_url)
        webhook.status = WebhookStatus.UNVERIFIED
        webhook.last_validated_at = None
        webhook.failure_count = 0
        webhook.failing_since = None
    elif not webhook.webhook_url:
        raise ValidationFailed("A webhook needs its URL.", details={"field": "webhook_url"})
    webhook.message_template = validate_template(webhook.message_template)
    if webhook.server_id is not None:
        if webhook.server.customer.user_id != webhook.owner_id:
            raise ValidationFailed("The server belongs to someone else.", details={"field": "server"})
        webhook.scope = WebhookScope.SERVER
    else:
        webhook.scope = WebhookScope.ACCOUNT
    with transaction.atomic():
        webhook.save()
        return webhook


def render_message(*, webhook: DiscordWebhook, event_type: str, context: dict) -> dict:
    """The Discord payload: the webhook's template (or the event's default) with the context's
    values filled in; mentions (@everyone, roles, users) are never pinged."""
    _switch, default = DISCORD_EVENT_TYPES[event_type]
    values = {k: str(v) for k, v in context.items()}
    values.setdefault("event", event_type)
    values.setdefault("message", render_placeholders(default, values))
    content = render_placeholders(webhook.message_template or default, values)[:DISCORD_CONTENT_LIMIT]
    return {"content": content, "allowed_mentions": {"parse": []}}


def enqueue_discord_event(*, owner, event_type: str, key: str, context: dict, server=None) -> list[WebhookDelivery]:
    """One delivery per active webhook of `owner` that takes this kind of event: account-wide
    ones, and for a server's event the ones of that server. In the caller's transaction."""
    switch, _default = DISCORD_EVENT_TYPES[event_type]
    webhooks = DiscordWebhook.objects.filter(owner=owner, is_active=True, **{switch: True})
    if server is not None:
        webhooks = webhooks.filter(Q(scope=WebhookScope.ACCOUNT) | Q(server=server))
    else:
        webhooks = webhooks.filter(scope=WebhookScope.ACCOUNT)
    now = timezone.now()
    deliveries = []
    for webhook in webhooks.order_by("pk"):
        delivery, created = WebhookDelivery.objects.get_or_create(
            dedupe_key=_dedupe("discord", event_type, key, str(webhook.pk)),
            defaults={
                "webhook": webhook,
                "event": event_type,
                "payload": render_message(webhook=webhook, event_type=event_type, context=context),
                "message_id": signing.new_message_id(),
                "next_attempt_at": now,
            },
        )
        if created:
            deliveries.append(delivery)
    _send_after_commit([d.pk for d in deliveries])
    return deliveries


def send_discord_test(*, webhook: DiscordWebhook) -> WebhookDelivery:
    """ "Send test": a sample message through the webhook's own template, sent after commit."""
    with transaction.atomic():
        now = timezone.now()
        payload = render_message(webhook=webhook, event_type="player.event", context=SAMPLE_CONTEXT)
        delivery = WebhookDelivery.objects.create(
            webhook=webhook,
            event="webhook.test",
            dedupe_key=_dedupe("discord-test", str(webhook.pk), now.isoformat()),
            payload=payload,
            message_id=signing.new_message_id(),
            next_attempt_at=now,
        )
        _send_after_commit([delivery.pk])
    return delivery


def create_discord_webhook(*, owner, name: str, url: str, server=None, kinds: dict, message_template: str = ""):
    """A player's new webhook (the portal's form): name, URL, the kinds of event it takes, template."""
    if not (name or "").strip():
        raise ValidationFailed("Give the webhook a name.", details={"field": "name"})
    unknown = set(kinds) - {switch for switch, _ in DISCORD_EVENT_TYPES.values()}
    if unknown:
        raise ValidationFailed("Unknown kinds of event.", details={"field": "kinds"})
    webhook = DiscordWebhook(owner=owner, server=server, name=name.strip()[:100], message_template=message_template)
    for switch in {s for s, _ in DISCORD_EVENT_TYPES.values()}:
        setattr(webhook, switch, bool(kinds.get(switch)))
    return save_discord_webhook(webhook=webhook, new_url=url)


def delete_discord_webhook(*, webhook: DiscordWebhook) -> None:
    """The owner removes a webhook; its delivery log goes with it."""
    with transaction.atomic():
        DiscordWebhook.objects.filter(pk=webhook.pk).delete()


DISCORD_KINDS = {
    "notify_server_events": "Server events (status, suspension)",
    "notify_backups": "Backups",
    "notify_billing": "Billing (invoices, payments)",
    "notify_tickets": "Support tickets",
    "notify_player_events": "Player events",
}
