"""The back office as the support role: an agent answers in the admin and the player sees the
reply in the portal, in the bell and by email; the customer's context beside the thread; queues;
support's powers stay within support (nothing deleted)."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from support.models import Notification, NotificationType, Ticket, TicketStatus
from tests.factories.accounts import CustomerFactory, staff_user
from tests.factories.games import ServerFactory
from tests.factories.support import CannedReplyFactory, TicketFactory
from tests.support.test_admin import reply_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    user = staff_user("support")
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def test_an_agent_reply_in_admin_reaches_the_player_in_portal_bell_and_email(agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory()
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    data = reply_form(ticket, "We moved your server to a new node.")
    data["replies-2-0-await_customer"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == TicketStatus.WAITING and ticket.assigned_to == agent.user
    notice = Notification.objects.get(user=ticket.customer.user, type=NotificationType.TICKET_REPLY)
    assert "We moved your server" in notice.message
    assert [m.to for m in mail.outbox] == [[ticket.customer.user.email]]
    assert "We moved your server" in mail.outbox[0].body

    player = Client()
    player.force_login(ticket.customer.user)
    page = player.get(reverse("portal:ticket", args=[ticket.public_id])).content.decode()
    assert "We moved your server to a new node." in page
    assert 'data-testid="unread-count">1<' in page
    player.post(reverse("portal:ticket", args=[ticket.public_id]), {"message": "Works now, thanks!"})
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.IN_PROGRESS


def test_a_canned_reply_is_sent_with_its_placeholders_filled(agent, django_capture_on_commit_callbacks):
    ticket = TicketFactory(customer__nickname="ada")
    canned = CannedReplyFactory(body="Hello {{customer_name}}, we are on it.")
    data = reply_form(ticket, "")
    data["replies-2-0-canned_reply"] = canned.pk
    with django_capture_on_commit_callbacks(execute=True):
        assert agent.post(reverse("admin:support_ticket_change", args=[ticket.pk]), data).status_code == 302
    assert ticket.replies.get().message == "Hello ada, we are on it."


def test_the_ticket_page_shows_the_customers_context_with_links(agent, django_assert_max_num_queries):
    customer = CustomerFactory()
    server = ServerFactory(customer=customer)
    ticket = TicketFactory(customer=customer)
    response = agent.get(reverse("admin:support_ticket_change", args=[ticket.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="customer-context"' in page
    assert reverse("admin:accounts_customer_change", args=[customer.pk]) in page
    assert reverse("admin:games_server_change", args=[server.pk]) in page
    assert "Balances" in page and "Open invoices" in page and "Recent sessions" in page


def test_my_tickets_unassigned_and_sla_columns(agent):
    mine = TicketFactory()
    TicketFactory(subject="Nobody's")
    agent.post(reverse("admin:support_ticket_changelist"), {"action": "assign_to_me", "_selected_action": [mine.pk]})
    changelist = reverse("admin:support_ticket_changelist")
    assert mine.subject in agent.get(changelist + "?assignment=mine").content.decode()
    unassigned = agent.get(changelist + "?assignment=unassigned").content.decode()
    assert "Nobody&#x27;s" in unassigned and mine.subject not in unassigned
    assert "SLA left" in unassigned


def test_support_cannot_delete_tickets_or_erase_players(agent):
    ticket = TicketFactory()
    assert agent.post(reverse("admin:support_ticket_delete", args=[ticket.pk]), {"post": "yes"}).status_code == 403
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not agent.user.has_perm("accounts.erase_customer")
    assert not any(
        perm.endswith((".delete_ticket", ".delete_ticketreply", ".delete_notification", ".delete_webhookdelivery"))
        for perm in agent.user.get_all_permissions()
    )


def test_assigning_to_another_agent_in_the_form_tells_them(agent):
    ticket = TicketFactory()
    colleague = staff_user("support")
    data = reply_form(ticket, "")
    data["assigned_to"] = colleague.pk
    response = agent.post(reverse("admin:support_ticket_change", args=[ticket.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Ticket.objects.get(pk=ticket.pk).assigned_to == colleague
    assert Notification.objects.filter(user=colleague, type=NotificationType.TICKET_STATUS).exists()
