"""Jobs of the accounts app, run by beat through the job runner (nodebyte_platform.jobs)."""

from accounts import services
from nodebyte_platform.jobs import JobContext, job


@job("accounts.clear_expired_oauth_tokens")
def clear_expired_oauth_tokens(ctx: JobContext) -> dict:
    """Delete expired OAuth2 access and refresh tokens, grants and ID tokens."""
    services.clear_expired_oauth_tokens()
    return {}
