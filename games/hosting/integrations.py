"""Connections to game panels and learning platforms, set up by staff.

Rules: the connection's credentials travel to its URL on every call, so the URL is https; a panel
serves the whole platform and has no owner, while an LMS connection may belong to the user who
connected it; a connection keeps its kind (its sync history is of that kind). A credential left
empty keeps the stored one (the admin's write-only fields).
"""

from urllib.parse import urlsplit

from django.db import transaction

from games.errors import InvalidRequest
from games.models import Integration, IntegrationKind, IntegrationStatus
from nodebyte_platform.updates import save_changes

PANEL_KINDS = (IntegrationKind.PTERODACTYL, IntegrationKind.VIRTFUSION)


def _checked(*, kind: str, name: str, url: str, user, status: str) -> dict:
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
    return {"kind": kind, "name": name, "url": parts.geturl(), "user": user, "status": status}


@transaction.atomic
def create_integration(
    *, kind: str, name: str, url: str, user=None, api_key: str = "", api_secret: str = "", status: str = "active"
) -> Integration:
    values = _checked(kind=kind, name=name, url=url, user=user, status=status)
    return Integration.objects.create(**values, api_key=api_key or "", api_secret=api_secret or "")


@transaction.atomic
def update_integration(
    *, integration: Integration, kind: str, name: str, url: str, user, status: str, api_key: str, api_secret: str
) -> Integration:
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    values = _checked(kind=kind, name=name, url=url, user=user, status=status)
    if values["kind"] != locked.kind:
        raise InvalidRequest("An integration keeps its kind; add a new one instead.", details={"field": "kind"})
    save_changes(locked, **values, api_key=api_key or locked.api_key, api_secret=api_secret or locked.api_secret)
    return locked
