"""Writes of support: tickets and their replies, notifications, Discord webhooks."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from nodebyte_platform.fsm import transition
from nodebyte_platform.updates import save_changes
from support.errors import InvalidState, ValidationFailed
from support.models import (
    DiscordWebhook,
    Notification,
    NotificationSettings,
    NotificationType,
    Ticket,
    TicketCategory,
    TicketPriority,
    TicketReply,
    TicketStatus,
    WebhookScope,
    WebhookStatus,
)

DISCORD_WEBHOOK_PREFIXES = (
    "https://discord.com/api/webhooks/",
    "https://discordapp.com/api/webhooks/",
    "https://canary.discord.com/api/webhooks/",
    "https://ptb.discord.com/api/webhooks/",
)


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


# --- tickets --------------------------------------------------------------------------


def open_ticket(
    *,
    customer,
    subject: str,
    message: str,
    category: str = TicketCategory.GENERAL,
    priority: str = TicketPriority.MEDIUM,
    server=None,
    invoice=None,
) -> Ticket:
    if not subject.strip() or not message.strip():
        raise ValidationFailed("A ticket needs a subject and a message.")
    if category not in TicketCategory.values or priority not in TicketPriority.values:
        raise ValidationFailed("Unknown ticket category or priority.")
    if server is not None and server.customer_id != customer.pk:
        raise ValidationFailed("The server belongs to another customer.")
    if invoice is not None and invoice.customer_id != customer.pk:
        raise ValidationFailed("The invoice belongs to another customer.")
    with transaction.atomic():
        return Ticket.objects.create(
            customer=customer,
            subject=subject.strip(),
            message=message,
            category=category,
            priority=priority,
            server=server,
            invoice=invoice,
        )


def update_ticket(*, ticket: Ticket, subject: str, category: str, priority: str, by=None) -> Ticket:
    """Staff retitle or re-sort a ticket. What the customer wrote, and the ticket's status, stay."""
    if not subject.strip():
        raise ValidationFailed("A ticket needs a subject.", details={"field": "subject"})
    if category not in TicketCategory.values:
        raise ValidationFailed(f"Unknown ticket category {category!r}.", details={"field": "category"})
    if priority not in TicketPriority.values:
        raise ValidationFailed(f"Unknown ticket priority {priority!r}.", details={"field": "priority"})
    with transaction.atomic():
        locked = _locked(ticket)
        save_changes(locked, subject=subject.strip(), category=category, priority=priority)
        return locked


def assign_ticket(*, ticket: Ticket, assignee, by=None) -> Ticket:
    """Give the ticket to a staff member; an open ticket moves to in progress."""
    if assignee is None or not assignee.is_staff:
        raise ValidationFailed("Tickets are assigned to staff members only.")
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.status == TicketStatus.OPEN:
            transition(locked, "start", error=InvalidState, assignee=assignee)
        elif locked.status == TicketStatus.IN_PROGRESS:
            locked.assigned_to = assignee
        else:
            raise InvalidState("A closed ticket cannot be assigned; reopen it first.")
        locked.save()
        return locked


def close_ticket(*, ticket: Ticket, by=None) -> Ticket:
    with transaction.atomic():
        locked = _locked(ticket)
        transition(locked, "close", error=InvalidState)
        locked.save()
        return locked


def reopen_ticket(*, ticket: Ticket, by=None) -> Ticket:
    with transaction.atomic():
        locked = _locked(ticket)
        transition(locked, "reopen", error=InvalidState)
        locked.save()
        return locked


def add_ticket_reply(*, ticket: Ticket, author, message: str, is_internal: bool = False) -> TicketReply:
    """Add a reply or, with `is_internal`, a staff-only note.

    Only staff write internal notes. A customer's reply to a closed ticket reopens it;
    staff replies to closed tickets are refused (reopen first) except internal notes.
    """
    if not message.strip():
        raise ValidationFailed("A reply needs a message.")
    if is_internal and not author.is_staff:
        raise ValidationFailed("Only staff write internal notes.")
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.status == TicketStatus.CLOSED and not is_internal:
            if author.is_staff:
                raise InvalidState("The ticket is closed; reopen it before replying.")
            transition(locked, "reopen", error=InvalidState)
        reply = TicketReply.objects.create(ticket=locked, author=author, message=message, is_internal=is_internal)
        locked.save()  # touches updated_at: the ticket's last activity
        return reply


# --- notifications --------------------------------------------------------------------


def mark_notification_read(*, notification: Notification) -> Notification:
    if not notification.read:
        Notification.objects.filter(pk=notification.pk, read=False).update(read=True, read_at=timezone.now())
        notification.refresh_from_db(fields=["read", "read_at"])
    return notification


def save_notification_settings(
    *, user, low_balance_threshold, notification_email: str = "", type_preferences: dict | None = None
) -> NotificationSettings:
    """A user's notification settings: a threshold of 0 or more with a coin's two places, an address
    or none (the account's), and a yes or no for each known notification type."""
    try:
        threshold = Decimal(str(low_balance_threshold))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("The threshold is a decimal amount.", details={"field": "low_balance_threshold"})
    if not threshold.is_finite() or threshold < 0 or threshold != threshold.quantize(Decimal("0.01")):
        raise ValidationFailed(
            "The threshold is an amount of 0 or more with at most two places.",
            details={"field": "low_balance_threshold"},
        )
    preferences = type_preferences or {}
    if not isinstance(preferences, dict):
        raise ValidationFailed("Preferences are a JSON object.", details={"field": "type_preferences"})
    unknown = sorted(set(preferences) - set(NotificationType.values))
    if unknown:
        raise ValidationFailed(
            f"Unknown notification types: {', '.join(unknown)}.", details={"field": "type_preferences"}
        )
    if not all(isinstance(choice, bool) for choice in preferences.values()):
        raise ValidationFailed("Each notification type is true or false.", details={"field": "type_preferences"})
    with transaction.atomic():
        record, created = NotificationSettings.objects.select_for_update().get_or_create(
            user=user,
            defaults={
                "low_balance_threshold": threshold,
                "notification_email": notification_email or "",
                "type_preferences": preferences,
            },
        )
        if not created:
            save_changes(
                record,
                low_balance_threshold=threshold,
                notification_email=notification_email or "",
                type_preferences=preferences,
            )
        return record


# --- Discord webhooks -----------------------------------------------------------------


def validate_webhook_url(url: str) -> str:
    url = (url or "").strip()
    if not url.startswith(DISCORD_WEBHOOK_PREFIXES):
        raise ValidationFailed("This is not a Discord webhook URL.", details={"field": "webhook_url"})
    return url


def save_discord_webhook(*, webhook: DiscordWebhook, new_url: str = "") -> DiscordWebhook:
    """Save a webhook's settings; a new URL (write-only, stored encrypted) resets its validation."""
    if new_url:
        webhook.webhook_url = validate_webhook_url(new_url)
        webhook.status = WebhookStatus.UNVERIFIED
        webhook.last_validated_at = None
        webhook.failure_count = 0
    elif not webhook.webhook_url:
        raise ValidationFailed("A webhook needs its URL.", details={"field": "webhook_url"})
    if webhook.server_id is not None:
        webhook.scope = WebhookScope.SERVER
    else:
        webhook.scope = WebhookScope.ACCOUNT
    with transaction.atomic():
        webhook.save()
        return webhook
