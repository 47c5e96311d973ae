"""Jobs of the games app, run by beat through the job runner (nodebyte_platform.jobs)."""

from games import services
from games.hosting import jobs as hosting_jobs
from nodebyte_platform.jobs import JobContext, job


@job("games.expire_metered_sessions")
def expire_metered_sessions(ctx: JobContext) -> dict:
    """Extend every running metered session while its balance lasts; end those that ran dry."""
    return services.expire_metered_sessions(progress=ctx)


@job("games.sync_panels")
def sync_panels(ctx: JobContext) -> dict:
    """Sync every game panel whose own sync interval has passed (one sync per panel at a time)."""
    return hosting_jobs.sync_panels(ctx)


@job("games.retry_pending_server_actions")
def retry_pending_server_actions(ctx: JobContext) -> dict:
    """Send again the server lifecycle calls a panel did not take (it was down), when due."""
    return hosting_jobs.retry_pending_server_actions(ctx)
