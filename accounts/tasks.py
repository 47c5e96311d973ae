"""Jobs of the accounts app, run by beat through the job runner (nodebyte_platform.jobs)."""

from accounts import services
from nodebyte_platform.jobs import JobContext, job


@job("accounts.clear_expired_oauth_tokens")
def clear_expired_oauth_tokens(ctx: JobContext) -> dict:
    """Delete expired OAuth2 access and refresh tokens, grants and ID tokens."""
    services.clear_expired_oauth_tokens()
    return {}


@job("accounts.end_expired_impersonations")
def end_expired_impersonations(ctx: JobContext) -> dict:
    """Close staff views of the portal as a player that ran out of time with nobody there to end them."""
    ended = services.end_expired_impersonations()
    ctx.processed(ended)
    return {"ended": ended}
