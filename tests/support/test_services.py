"""Support services: ticket lifecycle through FSM transitions, replies and internal notes, webhooks."""

import pytest

from support import services
from support.errors import InvalidState, ValidationFailed
from support.models import Ticket, TicketStatus, WebhookScope, WebhookStatus
from tests.factories.accounts import CustomerFactory, UserFactory, staff_user
from tests.factories.billing import InvoiceFactory
from tests.factories.support import DiscordWebhookFactory, NotificationFactory, TicketFactory

pytestmark = pytest.mark.django_db


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def test_open_ticket_checks_ownership_of_linked_invoice():
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed):
        services.open_ticket(customer=customer, subject="Refund", message="please", invoice=InvoiceFactory())
    ticket = services.open_ticket(
        customer=customer, subject="Refund", message="please", invoice=InvoiceFactory(customer=customer)
    )
    assert ticket.status == TicketStatus.OPEN


def test_assign_moves_open_ticket_in_progress_and_reassigns():
    ticket = TicketFactory()
    agent, other = staff_user("support"), staff_user("support")
    services.assign_ticket(ticket=ticket, assignee=agent)
    assert fresh(ticket).status == TicketStatus.IN_PROGRESS
    services.assign_ticket(ticket=ticket, assignee=other)
    assert fresh(ticket).assigned_to == other


def test_assign_refuses_non_staff_and_closed_tickets():
    ticket = TicketFactory()
    with pytest.raises(ValidationFailed):
        services.assign_ticket(ticket=ticket, assignee=UserFactory())
    services.close_ticket(ticket=ticket)
    with pytest.raises(InvalidState):
        services.assign_ticket(ticket=ticket, assignee=staff_user("support"))


def test_close_and_reopen():
    ticket = services.close_ticket(ticket=TicketFactory())
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    with pytest.raises(InvalidState) as exc:
        services.close_ticket(ticket=ticket)
    assert exc.value.code == "invalid_state"
    ticket = services.reopen_ticket(ticket=ticket)
    assert ticket.status == TicketStatus.OPEN and ticket.closed_at is None
    with pytest.raises(InvalidState):
        services.reopen_ticket(ticket=ticket)


def test_internal_notes_are_staff_only():
    ticket = TicketFactory()
    note = services.add_ticket_reply(ticket=ticket, author=staff_user("support"), message="VIP", is_internal=True)
    assert note.is_internal
    with pytest.raises(ValidationFailed):
        services.add_ticket_reply(ticket=ticket, author=ticket.customer.user, message="x", is_internal=True)


def test_customer_reply_reopens_closed_ticket_staff_reply_does_not():
    ticket = services.close_ticket(ticket=TicketFactory())
    with pytest.raises(InvalidState):
        services.add_ticket_reply(ticket=ticket, author=staff_user("support"), message="done?")
    services.add_ticket_reply(ticket=ticket, author=staff_user("support"), message="note", is_internal=True)
    assert fresh(ticket).status == TicketStatus.CLOSED
    services.add_ticket_reply(ticket=ticket, author=ticket.customer.user, message="still broken")
    assert fresh(ticket).status == TicketStatus.OPEN
    assert ticket.replies.count() == 2


def test_empty_reply_refused():
    with pytest.raises(ValidationFailed):
        services.add_ticket_reply(ticket=TicketFactory(), author=staff_user("support"), message="  ")


def test_mark_notification_read_sets_time_once():
    notification = services.mark_notification_read(notification=NotificationFactory())
    first = notification.read_at
    assert notification.read and first is not None
    assert services.mark_notification_read(notification=notification).read_at == first


def test_new_webhook_url_is_validated_and_resets_status():
    webhook = DiscordWebhookFactory(status=WebhookStatus.VALID)
    with pytest.raises(ValidationFailed):
        services.save_discord_webhook(webhook=webhook, new_url="https://evil.example/hook")
    services.save_discord_webhook(webhook=webhook, new_url="https://discord.com/api/webhooks/1/new-token")
    webhook = type(webhook).objects.get(pk=webhook.pk)
    assert webhook.webhook_url.endswith("new-token")
    assert webhook.status == WebhookStatus.UNVERIFIED
    assert webhook.scope == WebhookScope.ACCOUNT


def test_webhook_url_is_encrypted_at_rest():
    from django.db import connection

    webhook = DiscordWebhookFactory(webhook_url="https://discord.com/api/webhooks/42/very-secret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_url FROM support_discordwebhook WHERE id = %s", [webhook.pk])
        assert "very-secret" not in cursor.fetchone()[0]
