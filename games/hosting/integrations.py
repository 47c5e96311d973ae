"""Connections to game panels and learning platforms, set up by staff.

Rules: the connection's credentials travel to its URL on every call, so the URL is https; a panel
serves the whole platform and has no owner, while an LMS connection may belong to the user who
connected it; a connection keeps its kind (its sync history is of that kind). A credential left
empty keeps the stored one (the admin's write-only fields).
"""

from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from games.errors import InvalidRequest
from games.hosting.errors import PanelError
from games.hosting.models import Integration, IntegrationKind, IntegrationStatus
from games.hosting.panels import client_for
from nodebyte_platform.updates import save_changes

PANEL_KINDS = (IntegrationKind.PTERODACTYL, IntegrationKind.VIRTFUSION)


def _checked(*, kind: str, name: str, url: str, user, status: str, sync_interval_minutes: int = 60) -> dict:
    if kind not in IntegrationKind.values:
        raise InvalidRequest(f"Unknown integration kind {kind!r}.", details={"field": "kind"})
    if status not in IntegrationStatus.values:
        raise InvalidRequest(f"Unknown integration status {status!r}.", details={"field": "status"})
    name = (name or "").strip()
    if not name:
        raise InvalidRequest("An integration needs a name.", details={"field": "name"})
    parts = urlsplit((url or "").strip())
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidRequest(
            "The URL must be https: the integration's credentials are sent to it.", details={"field": "url"}
        )
    if parts.username or parts.password:
        raise InvalidRequest("Credentials go in the API key fields, never in the URL.", details={"field": "url"})
    if kind in PANEL_KINDS and user is not None:
        raise InvalidRequest("A game panel serves the whole platform: it has no owner.", details={"field": "user"})
    if not isinstance(sync_interval_minutes, int) or not 0 <= sync_interval_minutes <= 7 * 24 * 60:
        raise InvalidRequest(
            "The sync interval is a number of minutes from 0 (never on schedule) to a week.",
            details={"field": "sync_interval_minutes"},
        )
    return {
        "kind": kind,
        "name": name,
        "url": parts.geturl().rstrip("/"),
        "user": user,
        "status": status,
        "sync_interval_minutes": sync_interval_minutes,
    }


@transaction.atomic
def create_integration(
    *,
    kind: str,
    name: str,
    url: str,
    user=None,
    api_key: str = "",
    api_secret: str = "",
    status: str = "active",
    sync_interval_minutes: int = 60,
) -> Integration:
    values = _checked(
        kind=kind, name=name, url=url, user=user, status=status, sync_interval_minutes=sync_interval_minutes
    )
    return Integration.objects.create(**values, api_key=api_key or "", api_secret=api_secret or "")


@transaction.atomic
def update_integration(
    *,
    integration: Integration,
    kind: str,
    name: str,
    url: str,
    user,
    status: str,
    api_key: str,
    api_secret: str,
    sync_interval_minutes: int | None = None,
) -> Integration:
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    interval = locked.sync_interval_minutes if sync_interval_minutes is None else sync_interval_minutes
    values = _checked(kind=kind, name=name, url=url, user=user, status=status, sync_interval_minutes=interval)
    if values["kind"] != locked.kind:
        raise InvalidRequest("An integration keeps its kind; add a new one instead.", details={"field": "kind"})
    save_changes(locked, **values, api_key=api_key or locked.api_key, api_secret=api_secret or locked.api_secret)
    return locked


def check_connection(*, integration: Integration, client=None) -> dict:
    """One authenticated call to the panel; the connection's status says how it went.

    Answers what the panel reported; a panel that refuses or cannot be reached leaves the
    connection in "error" with the panel's message, and the refusal is raised to the caller.
    """
    own_client = client is None
    try:
        client = client or client_for(integration)
        answer = client.test_connection()
    except PanelError as exc:
        Integration.objects.filter(pk=integration.pk).update(
            status=IntegrationStatus.ERROR, last_error=exc.message, updated_at=timezone.now()
        )
        raise
    finally:
        if own_client and client is not None:
            client.close()
    Integration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.ACTIVE, last_error="", updated_at=timezone.now()
    )
    return answer
