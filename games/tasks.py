"""Jobs of the games app, run by beat through the job runner (nodebyte_platform.jobs)."""

from games import services
from nodebyte_platform.jobs import JobContext, job


@job("games.expire_metered_sessions")
def expire_metered_sessions(ctx: JobContext) -> dict:
    """Extend every running metered session while its balance lasts; end those that ran dry."""
    return services.expire_metered_sessions(progress=ctx)
