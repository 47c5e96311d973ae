"""Notifications: one service, `notify`, that every reaction calls; preferences per type and channel
under a per-type policy; the email sent by a task after commit, retried, never failing the caller."""

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from support import config
from support.errors import ValidationFailed
from support.models import Channel, EmailStatus, Notification, NotificationSettings, NotificationType
from support.rendering import render_placeholders

logger = logging.getLogger(__name__)

T = NotificationType
FORCED, ON, OFF = "forced", "on", "off"

# Paymenter's and Novu's model: a forced type reaches every channel whatever the user chose (a
# change to how they sign in, money leaving their account); the others start on or off.
POLICIES: dict[str, str] = {
    T.SECURITY: FORCED,
    T.WITHDRAWAL: FORCED,
    T.AUTO_TOPUP: FORCED,
    T.LOW_BALANCE: ON,
    T.PAYMENT: ON,
    T.PAYMENT_FAILED: ON,
    T.REFUND: ON,
    T.INVOICE_ISSUED: ON,
    T.INVOICE_OVERDUE: ON,
    T.SERVER_SUSPENDED: ON,
    T.TIER_CHANGED: ON,
    T.BONUS_GRANTED: ON,
    T.BONUS_EXPIRING: ON,
    T.TICKET_REPLY: ON,
    T.TICKET_STATUS: ON,
    T.TICKET_ESCALATED: ON,
    T.WEBHOOK_DISABLED: ON,
    T.SYSTEM: ON,
    T.SESSION_END: OFF,
    T.SETTLEMENT: OFF,
    T.PURCHASE: OFF,
    T.PROMOTIONAL: OFF,
}

# Title and text per type; {{placeholders}} come from the context the caller gives.
MESSAGES: dict[str, tuple[str, str]] = {
    T.LOW_BALANCE: ("Your {{asset}} balance is low", "Your {{asset}} balance is {{balance}}, below {{threshold}}."),
    T.AUTO_TOPUP: ("Auto top-up: {{status}}", "Your automatic top-up of {{amount}} {{asset}}: {{status}}."),
    T.PAYMENT: ("Payment received", "We received your payment of {{amount}} {{asset}}."),
    T.PAYMENT_FAILED: ("Payment failed", "Your payment of {{amount}} {{asset}} did not go through. {{reason}}"),
    T.REFUND: ("Refund issued", "We refunded {{amount}} {{asset}}."),
    T.WITHDRAWAL: ("Withdrawal {{status}}", "Your withdrawal of {{amount}} {{asset}} is {{status}}."),
    T.INVOICE_ISSUED: ("New invoice {{number}}", "Invoice {{number}} for {{amount}} {{asset}} is due on {{due}}."),
    T.INVOICE_OVERDUE: ("Invoice {{number}} is overdue", "Invoice {{number}} was due on {{due}}; please pay it."),
    T.SERVER_SUSPENDED: ("Server {{server}} suspended", "Your server {{server}} was suspended: {{reason}}"),
    T.TIER_CHANGED: ("You are now {{new}}", "Your loyalty tier changed from {{old}} to {{new}}."),
    T.BONUS_GRANTED: ("Bonus granted", "You received a bonus of {{amount}} {{asset}}."),
    T.BONUS_EXPIRING: ("Bonus expiring", "Your bonus of {{amount}} {{asset}} expires on {{expires_at}}."),
    T.TICKET_REPLY: ("New reply on “{{subject}}”", "{{author}} wrote: {{excerpt}}"),
    T.TICKET_STATUS: ("Ticket “{{subject}}” is {{status}}", "Your ticket “{{subject}}” is now {{status}}."),
    T.TICKET_ESCALATED: (
        "Ticket escalated: {{subject}}",
        "“{{subject}}” passed its SLA and is now {{priority}} priority.",
    ),
    T.SECURITY: ("Security notice", "{{message}}"),
    T.WEBHOOK_DISABLED: ("Webhook disabled", "{{name}} failed every delivery since {{since}} and was disabled."),
    T.SYSTEM: ("{{title}}", "{{message}}"),
    T.SESSION_END: ("Session ended", "Your session of {{game}} ended."),
    T.SETTLEMENT: ("Bet settled", "Your bet was settled: {{outcome}}."),
    T.PURCHASE: ("Purchase complete", "You bought {{package}}."),
    T.PROMOTIONAL: ("{{title}}", "{{message}}"),
}

EMAIL_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Preference:
    type: str
    label: str
    policy: str
    in_app: bool
    email: bool

    @property
    def forced(self) -> bool:
        return self.policy == FORCED


def _choice(stored, channel: str, default: bool) -> bool:
    if isinstance(stored, bool):
        return stored
    if isinstance(stored, dict) and isinstance(stored.get(channel), bool):
        return stored[channel]
    return default


def preferences_of(*, user, stored: dict | None = None) -> list[Preference]:
    """Every notification type with what this user receives on each channel."""
    if stored is None:
        record = NotificationSettings.objects.filter(user=user).only("type_preferences").first()
        stored = record.type_preferences if record else {}
    rows = []
    for value, label in NotificationType.choices:
        policy = POLICIES.get(value, ON)
        if policy == FORCED:
            rows.append(Preference(value, label, policy, True, True))
            continue
        default = policy == ON
        entry = stored.get(value)
        rows.append(
            Preference(
                value, label, policy, _choice(entry, Channel.IN_APP, default), _choice(entry, Channel.EMAIL, default)
            )
        )
    return rows


def wanted_channels(*, user, type: str) -> tuple[bool, bool]:
    """(in the portal, by email) for one notification of `type` to `user`."""
    for row in preferences_of(user=user):
        if row.type == type:
            return row.in_app, row.email
    raise ValidationFailed(f"Unknown notification type {type!r}.", details={"field": "type"})


def notify(*, customer, type: str, context: dict | None = None, dedupe_key: str | None = None, topic: str = ""):
    """Tell a player something, on the channels their preferences (and the type's policy) allow.

    Returns the Notification, or None when no channel wants it, when the same `dedupe_key`
    was notified before, when a low-balance notice on the same `topic` went out within
    LOW_BALANCE_REPEAT_HOURS, or when the player's data was erased.
    """
    if customer.erased_at is not None:
        return None
    return notify_user(user=customer.user, type=type, context=context, dedupe_key=dedupe_key, topic=topic)


def notify_user(*, user, type: str, context: dict | None = None, dedupe_key: str | None = None, topic: str = ""):
    """`notify` for any user, staff included (an assignee told of an escalation)."""
    if type not in NotificationType.values:
        raise ValidationFailed(f"Unknown notification type {type!r}.", details={"field": "type"})
    context = {k: str(v) for k, v in (context or {}).items()}
    in_app, email = wanted_channels(user=user, type=type)
    if not (in_app or email):
        return None
    title_template, message_template = MESSAGES[type]
    with transaction.atomic():
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key[:191]).exists():
            return None
        if type == T.LOW_BALANCE:
            # One at a time per user, so two reactions racing cannot both find no recent notice.
            User.objects.select_for_update().filter(pk=user.pk).first()
            since = timezone.now() - config.low_balance_repeat()
            if Notification.objects.filter(user=user, type=type, topic=topic, created_at__gte=since).exists():
                return None
        notification = Notification.objects.create(
            user=user,
            type=type,
            title=render_placeholders(title_template, context)[:255],
            message=render_placeholders(message_template, context),
            action_url=context.get("action_url", "")[:500],
            topic=topic[:100],
            in_app=in_app,
            read=not in_app,
            dedupe_key=dedupe_key[:191] if dedupe_key else None,
            email_status=EmailStatus.QUEUED if email else EmailStatus.NOT_SENT,
        )
        if email:
            transaction.on_commit(lambda: _queue_email(notification.pk), robust=True)
    return notification


def _queue_email(notification_id: int) -> None:
    from support.tasks import send_notification_email_task

    try:
        send_notification_email_task.delay(notification_id)
    except Exception:  # the broker is down: the row stays queued and the email job sends it
        logger.exception("notification %s: email could not be queued", notification_id)


def send_notification_email(*, notification_id: int) -> str:
    """Send one queued notification's email (HTML and text). A failure is recorded on the row and
    raised for the task to retry; after EMAIL_MAX_ATTEMPTS the row is marked failed."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "user__notification_settings")
            .filter(pk=notification_id, email_status=EmailStatus.QUEUED)
            .first()
        )
        if notification is None:
            return "not queued"
        user = notification.user
        record = getattr(user, "notification_settings", None)
        address = (record.notification_email if record else "") or user.email
        if not address:
            notification.email_status = EmailStatus.FAILED
            notification.email_error = "The user has no email address."
            notification.save(update_fields=["email_status", "email_error"])
            return "no address"
        context = {
            "notification": notification,
            "user": user,
            "site_url": getattr(settings, "SITE_URL", ""),
        }
        message = EmailMultiAlternatives(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{notification.title}",
            body=render_to_string("email/notification.txt", context),
            to=[address],
        )
        message.attach_alternative(render_to_string("email/notification.html", context), "text/html")
        notification.email_attempts += 1
        try:
            message.send()
        except Exception as exc:  # the mail server's refusal, recorded; the task retries
            notification.email_error = f"{type(exc).__name__}: {exc}"[:2000]
            if notification.email_attempts >= EMAIL_MAX_ATTEMPTS:
                notification.email_status = EmailStatus.FAILED
            notification.save(update_fields=["email_attempts", "email_error", "email_status"])
            failure = notification.email_error
        else:
            notification.email_status = EmailStatus.SENT
            notification.emailed_at = timezone.now()
            notification.email_error = ""
            notification.save(update_fields=["email_attempts", "email_error", "email_status", "emailed_at"])
            return "sent"
    # Raised after the block, so the attempt's record commits.
    if notification.email_status == EmailStatus.FAILED:
        return "failed"
    raise EmailNotSent(failure)


class EmailNotSent(Exception):
    """The mail server refused or could not be reached; the task retries."""


def queued_emails():
    return Notification.objects.filter(email_status=EmailStatus.QUEUED).order_by("created_at")


def mark_notification_read(*, notification: Notification) -> Notification:
    if not notification.read:
        Notification.objects.filter(pk=notification.pk, read=False).update(read=True, read_at=timezone.now())
        notification.refresh_from_db(fields=["read", "read_at"])
    return notification


def mark_all_notifications_read(*, user) -> int:
    return Notification.objects.filter(user=user, read=False).update(read=True, read_at=timezone.now())


def _clean_preferences(preferences) -> dict:
    if not isinstance(preferences, dict):
        raise ValidationFailed("Preferences are a JSON object.", details={"field": "type_preferences"})
    unknown = sorted(set(preferences) - set(NotificationType.values))
    if unknown:
        raise ValidationFailed(
            f"Unknown notification types: {', '.join(unknown)}.", details={"field": "type_preferences"}
        )
    cleaned = {}
    for type_, choice in preferences.items():
        if isinstance(choice, bool):
            choice = {Channel.IN_APP.value: choice, Channel.EMAIL.value: choice}
        if (
            not isinstance(choice, dict)
            or set(choice) - set(Channel.values)
            or not all(isinstance(v, bool) for v in choice.values())
        ):
            raise ValidationFailed(
                f'{type_}: true, false, or {{"in_app": bool, "email": bool}}.',
                details={"field": "type_preferences", "type": type_},
            )
        if POLICIES.get(type_) == FORCED and not all(choice.values()):
            raise ValidationFailed(
                f"{NotificationType(type_).label} notices cannot be switched off.",
                details={"field": "type_preferences", "type": type_, "code": "forced"},
            )
        cleaned[type_] = choice
    return cleaned


def save_notification_settings(
    *, user, low_balance_threshold, notification_email: str = "", type_preferences: dict | None = None
) -> NotificationSettings:
    """A user's notification settings: a threshold of 0 or more with a coin's two places, an address
    or none (the account's), and for each notification type a choice per channel (forced types
    cannot be switched off)."""
    try:
        threshold = Decimal(str(low_balance_threshold))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("The threshold is a decimal amount.", details={"field": "low_balance_threshold"})
    if not threshold.is_finite() or threshold < 0 or threshold != threshold.quantize(Decimal("0.01")):
        raise ValidationFailed(
            "The threshold is an amount of 0 or more with at most two places.",
            details={"field": "low_balance_threshold"},
        )
    preferences = _clean_preferences(type_preferences or {})
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
            from nodebyte_platform.updates import save_changes

            save_changes(
                record,
                low_balance_threshold=threshold,
                notification_email=notification_email or "",
                type_preferences=preferences,
            )
        return record
