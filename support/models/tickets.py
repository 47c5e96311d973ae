"""Tickets (seed 004 support_tickets, support_ticket_replies), their departments, attachments and
the canned replies staff answer with."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from support.storage import private_storage


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting on customer"
    CLOSED = "closed", "Closed"


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


# Escalation moves a ticket one step up this ladder.
PRIORITY_LADDER = [TicketPriority.LOW, TicketPriority.MEDIUM, TicketPriority.HIGH, TicketPriority.URGENT]


class TicketCategory(models.TextChoices):
    GENERAL = "general", "General"
    BILLING = "billing", "Billing"
    TECHNICAL = "technical", "Technical"
    ACCOUNT = "account", "Account"


class Department(models.Model):
    """A queue of tickets worked by one team (billing, technical...). Reference data: staff edit it
    in the admin with no rule behind it."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.TextField(blank=True)
    # A new ticket of this category lands in this department.
    categories = models.JSONField(default=list, blank=True, help_text="Ticket categories routed here.")
    is_active = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Ticket(models.Model):
    """Seed 004 support_tickets: a customer request with status, priority, SLA targets and an assignee."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="tickets")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets")
    server = models.ForeignKey("games.Server", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    payment = models.ForeignKey("billing.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=191)
    message = models.TextField()
    category = models.CharField(max_length=16, choices=TicketCategory.choices, default=TicketCategory.GENERAL)
    priority = models.CharField(max_length=8, choices=TicketPriority.choices, default=TicketPriority.MEDIUM)
    status = FSMField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN, protected=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_tickets"
    )
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True, help_text="When staff last waited on the customer.")
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "priority"], name="support_ticket_status_idx"),
            models.Index(fields=["created_at"], name="support_ticket_created_idx"),
            models.Index(fields=["category"], name="support_ticket_category_idx"),
            models.Index(fields=["priority"], name="support_ticket_priority_idx"),
            models.Index(fields=["status", "resolution_due_at"], name="support_ticket_sla_idx"),
            models.Index(fields=["status", "waiting_since"], name="support_ticket_waiting_idx"),
            models.Index(fields=["customer", "created_at"], name="support_ticket_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="support_ticket_closed_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(waiting_since__isnull=False),
                name="support_ticket_waiting_has_time",
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED

    @transition(field=status, source=TicketStatus.OPEN, target=TicketStatus.IN_PROGRESS)
    def start(self, *, assignee=None):
        if assignee is not None:
            self.assigned_to = assignee

    @transition(field=status, source=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS], target=TicketStatus.WAITING)
    def wait_on_customer(self):
        self.waiting_since = timezone.now()

    @transition(field=status, source=TicketStatus.WAITING, target=TicketStatus.IN_PROGRESS)
    def customer_answered(self):
        self.waiting_since = None

    @transition(
        field=status,
        source=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.WAITING],
        target=TicketStatus.CLOSED,
    )
    def close(self):
        self.closed_at = timezone.now()
        self.waiting_since = None

    @transition(field=status, source=TicketStatus.CLOSED, target=TicketStatus.OPEN)
    def reopen(self):
        self.closed_at = None


class TicketReply(models.Model):
    """Seed 004 support_ticket_replies: a reply, or a staff-only internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Internal notes are never shown to the customer.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "ticket replies"
        indexes = [models.Index(fields=["ticket", "created_at"], name="support_reply_ticket_idx")]

    def __str__(self):
        return f"Reply to {self.ticket}"


def attachment_path(instance, filename: str) -> str:
    # The stored name never carries what the player called the file: that is kept in original_name.
    return f"tickets/{instance.ticket.public_id}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    """A file a player or agent attached to a ticket; in private storage, served only through
    the portal and admin views that check who asks."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(TicketReply, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path, storage=private_storage, max_length=255)
    original_name = models.CharField(max_length=191)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return self.original_name


class CannedReply(models.Model):
    """A prepared answer with {{placeholders}} (customer_name, ticket_subject, agent_name, ticket_id)
    filled in when an agent uses it. Reference data, edited in the admin."""

    title = models.CharField(max_length=100, unique=True)
    body = models.TextField()
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="canned_replies"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self):
        return self.title
