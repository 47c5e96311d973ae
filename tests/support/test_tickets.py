"""Ticket rules: attachments checked before anything is written, waiting on the customer, the
reopen window, SLA targets, escalation and auto-close over days (frozen clock), canned replies."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from support import services
from support.errors import InvalidState, ValidationFailed
from support.models import (
    Notification,
    NotificationType,
    Ticket,
    TicketAttachment,
    TicketPriority,
    TicketStatus,
)
from support.tasks import auto_close_tickets, escalate_tickets, purge_expired_attachments
from tests.factories.accounts import CustomerFactory, staff_user
from tests.factories.support import CannedReplyFactory, DepartmentFactory, TicketFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(name="shot.png", data=PNG):
    return SimpleUploadedFile(name, data)


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def open_one(customer=None, **kwargs):
    return services.open_ticket(customer=customer or CustomerFactory(), subject="Lag", message="Server lags", **kwargs)


def test_open_ticket_routes_to_its_department_and_sets_sla_targets():
    billing = DepartmentFactory(slug="billing", categories=["billing"])
    before = timezone.now()
    ticket = open_one(category="billing", priority=TicketPriority.HIGH)
    assert ticket.department == billing
    assert timedelta(hours=7, minutes=59) < ticket.first_response_due_at - before <= timedelta(hours=8, seconds=5)
    assert timedelta(hours=23, minutes=59) < ticket.resolution_due_at - before <= timedelta(hours=24, seconds=5)


def test_attachments_are_stored_privately_with_their_name():
    ticket = open_one(attachments=[upload(), upload("log.txt", b"line 1\n")])
    files = list(ticket.attachments.order_by("pk"))
    assert [f.original_name for f in files] == ["shot.png", "log.txt"]
    assert [f.content_type for f in files] == ["image/png", "text/plain"]
    assert "shot" not in files[0].file.name and files[0].file.storage.exists(files[0].file.name)


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("run.exe", b"MZ", "attachment_type"),
        ("fake.png", b"<html>", "attachment_type"),
        ("binary.txt", b"\xff\xfe\x00\x00garbage" + b"\xff" * 40, "attachment_type"),
        ("big.png", PNG + b"\x00" * (5 * 1024 * 1024), "attachment_too_large"),
    ],
)
def test_a_bad_attachment_refuses_the_whole_ticket(name, data, code):
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed) as refusal:
        open_one(customer, attachments=[upload(name, data)])
    assert refusal.value.details["code"] == code
    assert not Ticket.objects.filter(customer=customer).exists() and not TicketAttachment.objects.exists()


def test_staff_reply_can_wait_on_the_customer_and_their_answer_resumes_it():
    ticket = TicketFactory()
    agent = staff_user("support")
    services.add_ticket_reply(ticket=ticket, author=agent, message="Try a restart?", await_customer=True)
    ticket = fresh(ticket)
    assert ticket.status == TicketStatus.WAITING and ticket.first_responded_at is not None
    assert ticket.assigned_to == agent
    services.add_ticket_reply(ticket=ticket, author=ticket.customer.user, message="Still broken")
    assert fresh(ticket).status == TicketStatus.IN_PROGRESS


def test_another_player_cannot_reply():
    ticket = TicketFactory()
    with pytest.raises(ValidationFailed):
        services.add_ticket_reply(ticket=ticket, author=CustomerFactory().user, message="hi")


def test_a_reply_reopens_only_within_the_reopen_window():
    ticket = services.close_ticket(ticket=TicketFactory())
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        with pytest.raises(InvalidState) as refusal:
            services.add_ticket_reply(ticket=ticket, author=ticket.customer.user, message="again")
        assert refusal.value.details["code"] == "reopen_window_passed"
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        services.add_ticket_reply(ticket=ticket, author=ticket.customer.user, message="again")
    assert fresh(ticket).status == TicketStatus.OPEN


def test_escalation_raises_priority_once_per_breach_and_tells_the_assignee():
    agent = staff_user("support")
    ticket = open_one(priority=TicketPriority.LOW)
    services.assign_ticket(ticket=ticket, assignee=agent, by=agent)
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=47), tick=False):
        escalate_tickets.run()
    assert fresh(ticket).priority == TicketPriority.LOW
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        escalate_tickets.run()
        escalate_tickets.run()  # the second run finds nothing new
    ticket = fresh(ticket)
    assert ticket.priority == TicketPriority.MEDIUM and ticket.escalated_at is not None
    assert Notification.objects.filter(user=agent, type=NotificationType.TICKET_ESCALATED).count() == 1


def test_a_ticket_waiting_on_the_customer_closes_itself_after_the_configured_days(django_capture_on_commit_callbacks):
    ticket = TicketFactory()
    services.add_ticket_reply(ticket=ticket, author=staff_user("support"), message="Fixed?", await_customer=True)
    start = timezone.now()
    with time_machine.travel(start + timedelta(days=6), tick=False):
        auto_close_tickets.run()
    assert fresh(ticket).status == TicketStatus.WAITING
    with time_machine.travel(start + timedelta(days=8), tick=False), django_capture_on_commit_callbacks(execute=True):
        auto_close_tickets.run()
    assert fresh(ticket).status == TicketStatus.CLOSED
    assert Notification.objects.filter(user=ticket.customer.user, type=NotificationType.TICKET_STATUS).exists()


def test_attachments_of_long_closed_tickets_are_purged(django_capture_on_commit_callbacks):
    ticket = open_one(attachments=[upload()])
    attachment = ticket.attachments.get()
    storage, name = attachment.file.storage, attachment.file.name
    services.close_ticket(ticket=ticket)
    with time_machine.travel(timezone.now() + timedelta(days=91)), django_capture_on_commit_callbacks(execute=True):
        purge_expired_attachments.run()
    assert not TicketAttachment.objects.exists() and not storage.exists(name)


def test_canned_reply_placeholders_are_filled_and_unknown_ones_left():
    ticket = TicketFactory(subject="Refund please", customer__nickname="ada")
    agent = staff_user("support")
    canned = CannedReplyFactory(body="Hi {{customer_name}}, about {{ticket_subject}}: {{nonsense}} — {{agent_name}}")
    text = services.render_canned_reply(canned=canned, ticket=ticket, agent=agent)
    assert text == f"Hi ada, about Refund please: {{{{nonsense}}}} — {agent.username}"
