"""Reads of support shared by its doors: a player's tickets and thread, the bell's count, and the
customer context an agent sees beside a ticket."""

from datetime import timedelta

from allauth.usersessions.models import UserSession
from django.db.models import Prefetch, Q
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, Subscription
from games.models import Server
from ledger.selectors import balances_of, user_postings
from loyalty.models import AbuseSignal, PlayerProfile
from support.models import Notification, Ticket, TicketAttachment, TicketReply, TicketStatus

CONTEXT_ROWS = 5


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read=False, in_app=True).count()


def notifications_of(*, user):
    return Notification.objects.filter(user=user, in_app=True).order_by("-created_at", "-pk")


def tickets_of(*, customer):
    return Ticket.objects.filter(customer=customer).select_related("department").order_by("-updated_at", "-pk")


def player_ticket(*, customer, public_id) -> Ticket | None:
    """The player's own ticket with its public thread and attachments (never internal notes)."""
    public_replies = (
        TicketReply.objects.filter(is_internal=False)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.order_by("pk")))
    )
    return (
        Ticket.objects.filter(customer=customer, public_id=public_id)
        .select_related("server", "invoice", "payment", "department")
        .prefetch_related(
            Prefetch("replies", queryset=public_replies, to_attr="public_replies"),
            Prefetch(
                "attachments", queryset=TicketAttachment.objects.filter(reply__isnull=True), to_attr="opening_files"
            ),
        )
        .first()
    )


def attachment_for(*, user, public_id) -> TicketAttachment | None:
    """An attachment the user may download: staff with ticket access, or the ticket's own player
    (and then only files on the public thread)."""
    attachments = TicketAttachment.objects.select_related("ticket__customer", "reply").filter(public_id=public_id)
    if user.is_staff:
        if not user.has_perm("support.view_ticket"):
            return None
        return attachments.first()
    return (
        attachments.filter(ticket__customer__user=user)
        .filter(Q(reply__isnull=True) | Q(reply__is_internal=False))
        .first()
    )


def sla_left(ticket: Ticket, *, now=None) -> timedelta | None:
    """Time left to the ticket's next target: first response while unanswered, else resolution."""
    if ticket.status in (TicketStatus.CLOSED, TicketStatus.WAITING):
        return None
    now = now or timezone.now()
    due = ticket.first_response_due_at if ticket.first_responded_at is None else ticket.resolution_due_at
    if due is None:
        return None
    return due - now


def customer_context(*, customer) -> dict:
    """What an agent needs beside a ticket, each part a few rows and a bounded number of queries."""
    user = customer.user
    profile = PlayerProfile.objects.filter(customer=customer).first()
    return {
        "customer": customer,
        "wallets": balances_of(user=user),
        "postings": list(user_postings(user=user)[:CONTEXT_ROWS]),
        "servers": list(Server.objects.filter(customer=customer).order_by("-pk")[:CONTEXT_ROWS]),
        "subscriptions": list(
            Subscription.objects.filter(server__customer=customer).select_related("product", "server")[:CONTEXT_ROWS]
        ),
        "open_invoices": list(
            Invoice.objects.filter(
                customer=customer, status__in=[InvoiceStatus.UNPAID, InvoiceStatus.OVERDUE]
            ).order_by("due_at")[:CONTEXT_ROWS]
        ),
        "profile": profile,
        "abuse_signals": list(
            AbuseSignal.objects.filter(customer=customer, is_resolved=False).order_by("-pk")[:CONTEXT_ROWS]
        ),
        "sessions": list(UserSession.objects.filter(user=user).order_by("-last_seen_at")[:CONTEXT_ROWS]),
        "other_tickets": list(Ticket.objects.filter(customer=customer).order_by("-created_at")[:CONTEXT_ROWS]),
    }
