"""Hosting's scheduled jobs (registered through games/tasks.py, which the job runner discovers)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from games.hosting import lifecycle, sync
from games.hosting.errors import HostingRefused
from games.hosting.models import Integration, IntegrationKind, IntegrationStatus, SyncStatus
from nodebyte_platform.jobs import JobContext


def due_panels(now=None):
    """Panel connections whose interval has passed since their last completed sync."""
    now = now or timezone.now()
    panels = Integration.objects.filter(kind=IntegrationKind.PTERODACTYL, sync_interval_minutes__gt=0).exclude(
        status=IntegrationStatus.INACTIVE
    )
    return [
        p
        for p in panels.filter(Q(last_sync_at__isnull=True) | Q(last_sync_at__lt=now)).order_by("pk")
        if p.last_sync_at is None or p.last_sync_at + timedelta(minutes=p.sync_interval_minutes) <= now
    ]


def sync_panels(ctx: JobContext) -> dict:
    """Sync every panel that is due (its own interval); one sync per panel at a time."""
    completed = failed = busy = 0
    for integration in due_panels():
        try:
            log = sync.sync_integration(integration=integration, dry_run=ctx.dry_run)
        except sync.SyncInProgress:
            busy += 1
            continue
        except HostingRefused as exc:
            ctx.item_failed(exc, item=integration.pk)
            continue
        if log.status == SyncStatus.COMPLETED:
            completed += 1
            ctx.processed()
        else:
            failed += 1
            ctx.item_failed(RuntimeError(log.error_message), item=integration.pk)
    return {"completed": completed, "failed": failed, "already_running": busy}


def retry_pending_server_actions(ctx: JobContext) -> dict:
    """Send again the lifecycle calls a panel did not take, when their next attempt is due."""
    if ctx.dry_run:
        # A dry run would still reach the panels (a create cannot be rolled back there): count only.
        return {"due": lifecycle.due_pending().count()}
    return lifecycle.retry_pending(progress=ctx)
