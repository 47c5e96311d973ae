"""Support's tasks (a notification's email, a webhook delivery) and jobs (SLA escalation,
auto-close, delivery retries, queued emails, expired attachments). Thin: load by id, call a service."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from nodebyte_platform.jobs import JobContext, job
from support.services import notifications as notification_services
from support.services import tickets as ticket_services
from support.services import webhooks as webhook_services

BATCH = 500


@shared_task(name="support.send_notification_email", bind=True, max_retries=notification_services.EMAIL_MAX_ATTEMPTS)
def send_notification_email_task(self, notification_id: int) -> str:
    try:
        return notification_services.send_notification_email(notification_id=notification_id)
    except notification_services.EmailNotSent as exc:
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="support.send_webhook_delivery")
def send_webhook_delivery_task(delivery_id: int) -> str:
    return webhook_services.send_delivery(delivery_id=delivery_id)


@job("support.escalate_tickets")
def escalate_tickets(ctx: JobContext) -> dict:
    """Raise the priority of tickets past their SLA and tell their assignees."""
    now = timezone.now()
    escalated = 0
    for ticket in ticket_services.breached_tickets(now=now)[:BATCH]:
        try:
            if ticket_services.escalate_ticket(ticket=ticket, now=now) is not None:
                escalated += 1
            ctx.processed()
        except Exception as exc:  # one ticket's failure is recorded; the others still escalate
            ctx.item_failed(exc, item=ticket.pk)
    return {"escalated": escalated}


@job("support.auto_close_tickets")
def auto_close_tickets(ctx: JobContext) -> dict:
    """Close tickets that waited on their customer longer than TICKET_AUTO_CLOSE_DAYS."""
    now = timezone.now()
    closed = 0
    for ticket in ticket_services.tickets_to_auto_close(now=now)[:BATCH]:
        try:
            if ticket_services.auto_close_ticket(ticket=ticket, now=now) is not None:
                closed += 1
            ctx.processed()
        except Exception as exc:  # recorded on the run; the next ticket goes on
            ctx.item_failed(exc, item=ticket.pk)
    return {"closed": closed}


@job("support.retry_webhook_deliveries")
def retry_webhook_deliveries(ctx: JobContext) -> dict:
    """Send the webhook deliveries whose next attempt is due (retries, and attempts of a worker
    that stopped mid-send once their lease ends)."""
    outcomes: dict[str, int] = {}
    if ctx.dry_run:
        return {"due": webhook_services.due_deliveries().count()}
    for delivery_id in webhook_services.due_deliveries().values_list("pk", flat=True)[:BATCH]:
        try:
            outcome = webhook_services.send_delivery(delivery_id=delivery_id)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            ctx.processed()
        except Exception as exc:  # recorded on the run; the delivery stays due for the next run
            ctx.item_failed(exc, item=delivery_id)
    return outcomes


@job("support.send_queued_emails")
def send_queued_emails(ctx: JobContext) -> dict:
    """Send notification emails still queued (their task was never queued, or gave up retrying)."""
    if ctx.dry_run:
        return {"queued": notification_services.queued_emails().count()}
    outcomes: dict[str, int] = {}
    cutoff = timezone.now() - timedelta(minutes=10)
    for notification_id in (
        notification_services.queued_emails().filter(created_at__lt=cutoff).values_list("pk", flat=True)[:BATCH]
    ):
        try:
            outcome = notification_services.send_notification_email(notification_id=notification_id)
        except notification_services.EmailNotSent as exc:
            ctx.item_failed(exc, item=notification_id)
            continue
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        ctx.processed()
    return outcomes


@job("support.purge_expired_attachments")
def purge_expired_attachments(ctx: JobContext) -> dict:
    """Delete the attachments of tickets closed longer ago than TICKET_ATTACHMENT_RETENTION_DAYS."""
    deleted = 0
    for attachment in ticket_services.expired_attachments()[:BATCH]:
        try:
            ticket_services.delete_attachment(attachment=attachment)
            deleted += 1
            ctx.processed()
        except Exception as exc:  # recorded on the run; the file is tried again next time
            ctx.item_failed(exc, item=attachment.pk)
    return {"deleted": deleted}
