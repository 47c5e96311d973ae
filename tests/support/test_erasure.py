"""Erasing a player reaches support: ticket texts, attachments and notifications are scrubbed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import erase_customer
from support import services
from support.models import Notification, Ticket, TicketAttachment
from tests.factories.accounts import CustomerFactory, staff_user

pytestmark = pytest.mark.django_db


def test_erasing_a_player_scrubs_their_tickets_files_and_notifications(django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    ticket = services.open_ticket(
        customer=customer,
        subject="My address is 1 Main St",
        message="call me on 555",
        attachments=[SimpleUploadedFile("id.txt", b"passport")],
    )
    services.add_ticket_reply(ticket=ticket, author=staff_user("support"), message="Thanks, Jane")
    storage_name = ticket.attachments.get().file.name
    storage = TicketAttachment._meta.get_field("file").storage
    other = services.open_ticket(customer=CustomerFactory(), subject="Keep me", message="kept")

    with django_capture_on_commit_callbacks(execute=True):
        erase_customer(customer=customer, actor=staff_user("admin"))

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.subject, ticket.message) == ("[erased]", "[erased]")
    assert list(ticket.replies.values_list("message", flat=True)) == ["[erased]"]
    assert not TicketAttachment.objects.filter(ticket=ticket).exists() and not storage.exists(storage_name)
    assert not Notification.objects.filter(user=customer.user).exists()
    assert Ticket.objects.get(pk=other.pk).subject == "Keep me"
