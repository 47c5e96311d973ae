"""Erasure reaches support: what a player wrote to us and what we told them goes; the facts that a
ticket existed, when and about what category, stay for the record (as DESIGN.md promises)."""

from django.db import transaction

from support.models import DiscordWebhook, Notification, NotificationSettings, Ticket, TicketAttachment, TicketReply

ERASED_TEXT = "[erased]"


def scrub_customer(*, customer) -> dict:
    """Blank the player's ticket subjects and messages and their own replies (staff replies to them
    too: they quote and address the player), delete their attachments, notifications, notification
    settings and Discord webhooks. Running it again finds nothing more to do."""
    user = customer.user
    with transaction.atomic():
        tickets = Ticket.objects.filter(customer=customer)
        scrubbed_tickets = tickets.exclude(subject=ERASED_TEXT).update(subject=ERASED_TEXT, message=ERASED_TEXT)
        scrubbed_replies = (
            TicketReply.objects.filter(ticket__customer=customer)
            .exclude(message=ERASED_TEXT)
            .update(message=ERASED_TEXT)
        )
        attachments = list(TicketAttachment.objects.filter(ticket__customer=customer))
        storage = TicketAttachment._meta.get_field("file").storage
        names = [a.file.name for a in attachments]
        TicketAttachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
        notifications, _ = Notification.objects.filter(user=user).delete()
        NotificationSettings.objects.filter(user=user).delete()
        webhooks, _ = DiscordWebhook.objects.filter(owner=user).delete()
    return {
        "tickets": scrubbed_tickets,
        "replies": scrubbed_replies,
        "attachments": len(names),
        "notifications": notifications,
        "webhooks": webhooks,
    }
