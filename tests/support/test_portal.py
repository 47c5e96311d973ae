"""The player's support pages through the Django test client: open, read (no internal notes),
reply, attach, download (only the ticket's player and staff), close; the bell and preferences."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from support import services
from support.models import Notification, NotificationType, Ticket, TicketStatus
from tests.factories.accounts import CustomerFactory, staff_user
from tests.factories.support import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def player():
    customer = CustomerFactory()
    client = Client()
    client.force_login(customer.user)
    client.customer = customer
    return client


def test_open_a_ticket_with_a_file_and_read_it(player):
    response = player.post(
        reverse("portal:ticket_new"),
        {
            "subject": "Cannot join",
            "category": "technical",
            "priority": "high",
            "message": "Timeout when joining.",
            "attachments": [SimpleUploadedFile("log.txt", b"timeout after 30s\n")],
        },
    )
    ticket = Ticket.objects.get(customer=player.customer)
    assert response.status_code == 302 and response["Location"] == reverse("portal:ticket", args=[ticket.public_id])
    page = player.get(response["Location"]).content.decode()
    assert "Cannot join" in page and "log.txt" in page
    download = player.get(reverse("portal:ticket_attachment", args=[ticket.attachments.get().public_id]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"timeout after 30s\n"
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"


def test_a_bad_ticket_form_answers_400_and_writes_nothing(player):
    response = player.post(
        reverse("portal:ticket_new"),
        {
            "subject": "x",
            "category": "technical",
            "priority": "low",
            "message": "y",
            "attachments": [SimpleUploadedFile("evil.exe", b"MZ")],
        },
    )
    assert response.status_code == 400 and "cannot be attached" in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_thread_never_shows_internal_notes(player):
    ticket = TicketFactory(customer=player.customer)
    agent = staff_user("support")
    services.add_ticket_reply(ticket=ticket, author=agent, message="Customer seems angry", is_internal=True)
    services.add_ticket_reply(ticket=ticket, author=agent, message="We restarted your node.")
    page = player.get(reverse("portal:ticket", args=[ticket.public_id])).content.decode()
    assert "We restarted your node." in page and "Customer seems angry" not in page


def test_another_players_ticket_and_files_are_not_found(player):
    theirs = services.open_ticket(
        customer=CustomerFactory(), subject="Mine", message="m", attachments=[SimpleUploadedFile("a.txt", b"a")]
    )
    assert player.get(reverse("portal:ticket", args=[theirs.public_id])).status_code == 404
    file_url = reverse("portal:ticket_attachment", args=[theirs.attachments.get().public_id])
    assert player.get(file_url).status_code == 404
    assert player.post(reverse("portal:ticket_close", args=[theirs.public_id])).status_code == 404
    staff = Client()
    staff.force_login(staff_user("support"))
    assert staff.get(file_url).status_code == 200


def test_reply_close_and_reopen_by_replying(player):
    ticket = TicketFactory(customer=player.customer)
    url = reverse("portal:ticket", args=[ticket.public_id])
    assert player.post(url, {"message": "Any news?"}).status_code == 302
    player.post(reverse("portal:ticket_close", args=[ticket.public_id]))
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED
    player.post(url, {"message": "It broke again"})
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.OPEN
    assert ticket.replies.count() == 2


def test_ticket_list_queries_do_not_grow_with_tickets(player):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert player.get(reverse("portal:tickets")).status_code == 200
        return len(captured.captured_queries)

    TicketFactory(customer=player.customer)
    player.get(reverse("portal:tickets"))  # sessions and config warmed up
    few = queries()
    for _ in range(15):
        TicketFactory(customer=player.customer)
    assert queries() == few


def test_the_bell_counts_unread_and_mark_all_read_clears_it(player):
    for _ in range(3):
        services.notify(
            customer=player.customer, type=NotificationType.PAYMENT, context={"amount": "1", "asset": "EUR"}
        )
    page = player.get(reverse("portal:home")).content.decode()
    assert 'data-testid="unread-count">3<' in page
    first = Notification.objects.filter(user=player.customer.user).first()
    player.post(reverse("portal:notification_read", args=[first.public_id]))
    assert 'data-testid="unread-count">2<' in player.get(reverse("portal:notifications")).content.decode()
    player.post(reverse("portal:notifications_read_all"))
    assert "unread-count" not in player.get(reverse("portal:notifications")).content.decode()


def test_preferences_page_saves_per_channel_and_keeps_forced_types_on(player):
    url = reverse("portal:notification_settings")
    page = player.get(url).content.decode()
    assert 'name="security:email"' in page and "always on" in page
    response = player.post(url, {"low_balance_threshold": "7.50", "payment:in_app": "on", "ticket_reply:email": "on"})
    assert response.status_code == 302
    rows = {row.type: row for row in services.preferences_of(user=player.customer.user)}
    assert rows["payment"].in_app and not rows["payment"].email
    assert rows["ticket_reply"].email and not rows["ticket_reply"].in_app
    assert rows["security"].in_app and rows["security"].email
    bad = player.post(url, {"low_balance_threshold": "-1"})
    assert bad.status_code == 400 and "0 or more" in bad.content.decode()


def test_notification_list_queries_do_not_grow_with_notifications(player):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert player.get(reverse("portal:notifications")).status_code == 200
        return len(captured.captured_queries)

    services.notify(customer=player.customer, type=NotificationType.PAYMENT, context={})
    player.get(reverse("portal:notifications"))
    few = queries()
    for _ in range(15):
        services.notify(customer=player.customer, type=NotificationType.REFUND, context={})
    assert queries() == few


def test_a_file_on_an_internal_note_is_never_served_to_the_player(player):
    ticket = TicketFactory(customer=player.customer)
    services.add_ticket_reply(
        ticket=ticket,
        author=staff_user("support"),
        message="Their id scan",
        is_internal=True,
        attachments=[SimpleUploadedFile("scan.pdf", b"%PDF-1.4 internal")],
    )
    attachment = ticket.attachments.get()
    assert player.get(reverse("portal:ticket_attachment", args=[attachment.public_id])).status_code == 404
