"""Writes of tickets: opening, replies and internal notes, attachments, assignment, departments,
waiting on the customer, SLA targets, escalation and auto-close. Each use case is one transaction;
every notice it causes goes through `notify` in that same transaction."""

import mimetypes
from pathlib import PurePath

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nodebyte_platform.fsm import transition
from nodebyte_platform.updates import save_changes
from support import config
from support.errors import InvalidState, ValidationFailed
from support.models import (
    PRIORITY_LADDER,
    CannedReply,
    Department,
    NotificationType,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketPriority,
    TicketReply,
    TicketStatus,
)
from support.rendering import render_placeholders
from support.services.notifications import notify_user
from support.signals import ticket_replied, ticket_status_changed

# What a ticket may carry: the extension, the type it is served as, and the bytes it starts with
# (None: text, which must decode as UTF-8). A file that is not what its name says is refused.
ATTACHMENT_TYPES = {
    ".png": ("image/png", [b"\x89PNG\r\n\x1a\n"]),
    ".jpg": ("image/jpeg", [b"\xff\xd8\xff"]),
    ".jpeg": ("image/jpeg", [b"\xff\xd8\xff"]),
    ".gif": ("image/gif", [b"GIF87a", b"GIF89a"]),
    ".webp": ("image/webp", [b"RIFF"]),
    ".pdf": ("application/pdf", [b"%PDF-"]),
    ".zip": ("application/zip", [b"PK\x03\x04"]),
    ".txt": ("text/plain", None),
    ".log": ("text/plain", None),
}
MAX_ATTACHMENTS_PER_MESSAGE = 5


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _set_sla(ticket: Ticket, *, start) -> None:
    first, resolution = config.sla_targets(ticket.priority)
    if ticket.first_responded_at is None:
        ticket.first_response_due_at = start + first
    ticket.resolution_due_at = start + resolution


def _department_for(category: str) -> Department | None:
    for department in Department.objects.filter(is_active=True).order_by("pk"):
        if category in (department.categories or []):
            return department
    return None


def _checked_attachments(files) -> list[tuple[object, str, str]]:
    """Each upload with its clean name and served type; refuses a file too large, of a type not
    allowed, or whose bytes are not what its name says, before anything is written."""
    files = [f for f in (files or []) if f]
    if len(files) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise ValidationFailed(
            f"At most {MAX_ATTACHMENTS_PER_MESSAGE} files per message.", details={"field": "attachments"}
        )
    limit = config.attachment_max_bytes()
    checked = []
    for upload in files:
        name = PurePath(upload.name or "file").name[:191]
        suffix = PurePath(name).suffix.lower()
        if suffix not in ATTACHMENT_TYPES:
            allowed = ", ".join(sorted(ATTACHMENT_TYPES))
            raise ValidationFailed(
                f"{name}: this type of file cannot be attached (allowed: {allowed}).",
                details={"field": "attachments", "code": "attachment_type"},
            )
        if upload.size > limit:
            raise ValidationFailed(
                f"{name} is larger than {limit // (1024 * 1024)} MB.",
                details={"field": "attachments", "code": "attachment_too_large"},
            )
        content_type, signatures = ATTACHMENT_TYPES[suffix]
        upload.seek(0)
        head = upload.read(2048)
        upload.seek(0)
        if signatures is None:
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                # A multi-byte character cut at the 2,048th byte is still text.
                if exc.start < len(head) - 3:
                    raise ValidationFailed(
                        f"{name} is not a text file.", details={"field": "attachments", "code": "attachment_type"}
                    )
        elif not any(head.startswith(signature) for signature in signatures):
            raise ValidationFailed(
                f"{name} is not a {suffix[1:].upper()} file.",
                details={"field": "attachments", "code": "attachment_type"},
            )
        checked.append((upload, name, content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"))
    return checked


def _save_attachments(ticket: Ticket, reply: TicketReply | None, author, checked, written: list) -> None:
    """Store each file and its row; `written` collects the stored names, so a use case whose
    transaction rolls back removes them (Django has no rollback hook)."""
    for upload, name, content_type in checked:
        attachment = TicketAttachment(
            ticket=ticket,
            reply=reply,
            uploaded_by=author,
            original_name=name,
            content_type=content_type,
            size=upload.size,
        )
        attachment.file.save(name, upload, save=False)
        written.append(attachment.file.name)
        attachment.save()


def _remove_files(written: list) -> None:
    storage = TicketAttachment._meta.get_field("file").storage
    for name in written:
        storage.delete(name)


def open_ticket(
    *,
    customer,
    subject: str,
    message: str,
    category: str = TicketCategory.GENERAL,
    priority: str = TicketPriority.MEDIUM,
    server=None,
    invoice=None,
    payment=None,
    attachments=(),
    department: Department | None = None,
) -> Ticket:
    """A player's request. The server, invoice or payment it is about must be theirs; it lands
    in the department its category routes to, with SLA targets of its priority."""
    subject = (subject or "").strip()
    if not subject or not (message or "").strip():
        raise ValidationFailed("A ticket needs a subject and a message.", details={"field": "subject"})
    if len(subject) > 191:
        raise ValidationFailed("The subject is at most 191 characters.", details={"field": "subject"})
    if category not in TicketCategory.values or priority not in TicketPriority.values:
        raise ValidationFailed("Unknown ticket category or priority.", details={"field": "category"})
    for linked, what in ((server, "server"), (invoice, "invoice"), (payment, "payment")):
        if linked is not None and linked.customer_id != customer.pk:
            raise ValidationFailed(f"The {what} belongs to another customer.", details={"field": what})
    checked = _checked_attachments(attachments)
    written: list[str] = []
    try:
        with transaction.atomic():
            ticket = Ticket(
                customer=customer,
                subject=subject,
                message=message,
                category=category,
                priority=priority,
                server=server,
                invoice=invoice,
                payment=payment,
                department=department or _department_for(category),
            )
            _set_sla(ticket, start=timezone.now())
            ticket.save()
            _save_attachments(ticket, None, customer.user, checked, written)
    except BaseException:
        _remove_files(written)
        raise
    return ticket


def update_ticket(
    *, ticket: Ticket, subject: str, category: str, priority: str, department: Department | None = None, by=None
) -> Ticket:
    """Staff retitle or re-sort a ticket; a new priority resets its SLA targets from when it was
    opened. What the customer wrote, and the ticket's status, stay."""
    if not subject.strip():
        raise ValidationFailed("A ticket needs a subject.", details={"field": "subject"})
    if category not in TicketCategory.values:
        raise ValidationFailed(f"Unknown ticket category {category!r}.", details={"field": "category"})
    if priority not in TicketPriority.values:
        raise ValidationFailed(f"Unknown ticket priority {priority!r}.", details={"field": "priority"})
    with transaction.atomic():
        locked = _locked(ticket)
        first_due, resolution_due = locked.first_response_due_at, locked.resolution_due_at
        if locked.priority != priority:
            first, resolution = config.sla_targets(priority)
            resolution_due = locked.created_at + resolution
            if locked.first_responded_at is None:
                first_due = locked.created_at + first
        save_changes(
            locked,
            subject=subject.strip(),
            category=category,
            priority=priority,
            department=department,
            first_response_due_at=first_due,
            resolution_due_at=resolution_due,
        )
        return locked


def assign_ticket(*, ticket: Ticket, assignee, by=None) -> Ticket:
    """Give the ticket to any staff member; an open ticket moves to in progress. The new assignee
    is told unless they assigned it to themselves."""
    if assignee is None or not assignee.is_staff or not assignee.is_active:
        raise ValidationFailed("Tickets are assigned to active staff members only.", details={"field": "assigned_to"})
    with transaction.atomic():
        locked = _locked(ticket)
        if locked.status == TicketStatus.OPEN:
            transition(locked, "start", error=InvalidState, assignee=assignee)
        elif locked.status in (TicketStatus.IN_PROGRESS, TicketStatus.WAITING):
            locked.assigned_to = assignee
        else:
            raise InvalidState("A closed ticket cannot be assigned; reopen it first.")
        locked.save()
        if by is None or by.pk != assignee.pk:
            notify_user(
                user=assignee,
                type=NotificationType.TICKET_STATUS,
                context={"subject": locked.subject, "status": "assigned to you"},
                topic=f"ticket:{locked.public_id}",
            )
        return locked


def _tell_customer_status(ticket: Ticket) -> None:
    ticket_status_changed.emit(
        key=f"status:{ticket.public_id}:{ticket.status}:{timezone.now().timestamp()}",
        ticket_id=ticket.pk,
        status=ticket.status,
    )


def close_ticket(*, ticket: Ticket, by=None) -> Ticket:
    """Close a ticket; the customer is told unless they closed it themselves."""
    with transaction.atomic():
        locked = _locked(ticket)
        transition(locked, "close", error=InvalidState)
        locked.save()
        if by is None or by.pk != locked.customer.user_id:
            _tell_customer_status(locked)
        return locked


def reopen_ticket(*, ticket: Ticket, by=None) -> Ticket:
    with transaction.atomic():
        locked = _locked(ticket)
        transition(locked, "reopen", error=InvalidState)
        _set_sla(locked, start=timezone.now())
        locked.save()
        return locked


def wait_on_customer(*, ticket: Ticket, by=None) -> Ticket:
    """Staff: the next move is the customer's (auto-close counts from now)."""
    with transaction.atomic():
        locked = _locked(ticket)
        transition(locked, "wait_on_customer", error=InvalidState)
        locked.save()
        return locked


def add_ticket_reply(
    *, ticket: Ticket, author, message: str, is_internal: bool = False, attachments=(), await_customer: bool = False
) -> TicketReply:
    """Add a reply or, with `is_internal`, a staff-only note.

    Only staff write internal notes. A customer's reply to a ticket closed within
    TICKET_REOPEN_DAYS reopens it (an older one is refused: they open a new ticket) and takes a
    ticket waiting on them back to in progress. Staff replies to closed tickets are refused
    (reopen first) except internal notes; a staff reply is the first response for the SLA, tells
    the customer (in the portal and by email), and with `await_customer` waits on them.
    """
    if not (message or "").strip():
        raise ValidationFailed("A reply needs a message.", details={"field": "message"})
    staff = author.is_staff
    if is_internal and not staff:
        raise ValidationFailed("Only staff write internal notes.")
    checked = _checked_attachments(attachments)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = _locked(ticket)
            if not staff and author.pk != locked.customer.user_id:
                raise ValidationFailed("Only the ticket's customer and staff reply to it.")
            now = timezone.now()
            if locked.status == TicketStatus.CLOSED and not is_internal:
                if staff:
                    raise InvalidState("The ticket is closed; reopen it before replying.")
                if locked.closed_at < now - config.reopen_window():
                    raise InvalidState(
                        "This ticket was closed too long ago to reopen; please open a new ticket.",
                        details={"code": "reopen_window_passed"},
                    )
                transition(locked, "reopen", error=InvalidState)
                _set_sla(locked, start=now)
            elif locked.status == TicketStatus.WAITING and not staff:
                transition(locked, "customer_answered", error=InvalidState)
            reply = TicketReply.objects.create(ticket=locked, author=author, message=message, is_internal=is_internal)
            _save_attachments(locked, reply, author, checked, written)
            if staff and not is_internal:
                if locked.first_responded_at is None:
                    locked.first_responded_at = now
                if locked.status == TicketStatus.OPEN:
                    transition(locked, "start", error=InvalidState, assignee=locked.assigned_to or author)
                if await_customer and locked.status == TicketStatus.IN_PROGRESS:
                    transition(locked, "wait_on_customer", error=InvalidState)
                ticket_replied.emit(key=f"reply:{reply.pk}", ticket_id=locked.pk, reply_id=reply.pk)
            elif not staff and locked.assigned_to_id is not None:
                notify_user(
                    user=locked.assigned_to,
                    type=NotificationType.TICKET_REPLY,
                    context={"subject": locked.subject, "author": "The customer", "excerpt": message.strip()[:200]},
                    dedupe_key=f"ticket-reply:{reply.pk}",
                    topic=f"ticket:{locked.public_id}",
                )
            locked.save()  # touches updated_at: the ticket's last activity
    except BaseException:
        _remove_files(written)
        raise
    return reply


def render_canned_reply(*, canned: CannedReply, ticket: Ticket, agent) -> str:
    """The canned reply's text with its placeholders filled in for this ticket."""
    customer = ticket.customer
    return render_placeholders(
        canned.body,
        {
            "customer_name": customer.nickname or customer.user.username,
            "ticket_subject": ticket.subject,
            "ticket_id": str(ticket.public_id)[:8],
            "agent_name": agent.get_full_name() or agent.username,
        },
    )


# --- jobs ------------------------------------------------------------------------------


def breached_tickets(*, now=None):
    """Tickets past a first-response or resolution target that escalation may still raise:
    below urgent, or urgent and never escalated."""
    now = now or timezone.now()
    breached = Q(first_responded_at__isnull=True, first_response_due_at__lt=now) | Q(resolution_due_at__lt=now)
    return (
        Ticket.objects.filter(breached)
        .filter(status__in=[TicketStatus.OPEN, TicketStatus.IN_PROGRESS])
        .exclude(priority=TicketPriority.URGENT, escalated_at__isnull=False)
        .order_by("pk")
    )


def escalate_ticket(*, ticket: Ticket, now=None) -> Ticket | None:
    """One ticket past its SLA: priority one step up, new targets from now by the new priority,
    the assignee told. None when it no longer needs it (answered, closed, raised by another run)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = breached_tickets(now=now).select_for_update().filter(pk=ticket.pk).first()
        if locked is None:
            return None
        step = PRIORITY_LADDER.index(locked.priority)
        locked.priority = PRIORITY_LADDER[min(step + 1, len(PRIORITY_LADDER) - 1)]
        locked.escalated_at = now
        _set_sla(locked, start=now)
        locked.save()
        if locked.assigned_to_id is not None:
            notify_user(
                user=locked.assigned_to,
                type=NotificationType.TICKET_ESCALATED,
                context={"subject": locked.subject, "priority": locked.get_priority_display().lower()},
                dedupe_key=f"ticket-escalated:{locked.public_id}:{now.isoformat()}",
                topic=f"ticket:{locked.public_id}",
            )
        return locked


def tickets_to_auto_close(*, now=None):
    now = now or timezone.now()
    return Ticket.objects.filter(
        status=TicketStatus.WAITING, waiting_since__lt=now - config.auto_close_after()
    ).order_by("pk")


def auto_close_ticket(*, ticket: Ticket, now=None) -> Ticket | None:
    """Close a ticket that waited on its customer past TICKET_AUTO_CLOSE_DAYS; they are told."""
    with transaction.atomic():
        locked = tickets_to_auto_close(now=now).select_for_update().filter(pk=ticket.pk).first()
        if locked is None:
            return None
        transition(locked, "close", error=InvalidState)
        locked.save()
        _tell_customer_status(locked)
        return locked


def expired_attachments(*, now=None):
    """Attachments of tickets closed more than TICKET_ATTACHMENT_RETENTION_DAYS ago."""
    now = now or timezone.now()
    return TicketAttachment.objects.filter(
        ticket__status=TicketStatus.CLOSED, ticket__closed_at__lt=now - config.attachment_retention()
    ).order_by("pk")


def delete_attachment(*, attachment: TicketAttachment) -> None:
    """Remove an attachment's file and row (the file once the row's deletion has committed)."""
    with transaction.atomic():
        name, storage = attachment.file.name, attachment.file.storage
        TicketAttachment.objects.filter(pk=attachment.pk).delete()
        transaction.on_commit(lambda: storage.delete(name))
