"""Celery tasks of the accounts app: thin wrappers around services."""

from celery import shared_task

from accounts import services


@shared_task(name="accounts.clear_expired_oauth_tokens")
def clear_expired_oauth_tokens() -> str:
    """Beat job: delete expired OAuth2 tokens and grants (idempotent, safe to run twice)."""
    services.clear_expired_oauth_tokens()
    return "ok"
