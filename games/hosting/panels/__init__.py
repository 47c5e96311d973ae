"""Clients of the game panels, one class per panel type, chosen by the Integration's kind."""

from games.hosting.errors import HostingRefused
from games.hosting.models import Integration, IntegrationKind
from games.hosting.panels.pterodactyl import PterodactylClient


def client_for(integration: Integration, **kwargs) -> PterodactylClient:
    """The client of this connection, with its API key decrypted from the row (never logged)."""
    if not integration.api_key:
        raise HostingRefused(f"{integration} has no API key: set its application API key first.")
    if integration.kind == IntegrationKind.PTERODACTYL:
        return PterodactylClient(url=integration.url, api_key=integration.api_key, name=integration.name, **kwargs)
    raise HostingRefused(
        f"{integration.get_kind_display()} has no panel client here.", details={"kind": integration.kind}
    )
