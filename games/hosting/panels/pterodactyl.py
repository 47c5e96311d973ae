"""Pterodactyl's application API (`/api/application/...`), as its transformers answer it.

httpx rather than py-dactyl: py-dactyl has no timeouts per call, no Retry-After handling and
raises its own exceptions without the panel's `errors[]`; what we need on top of httpx is small
(panels/http.py). Lists come as `{"object": "list", "data": [{"object": ..., "attributes": ...}],
"meta": {"pagination": {"total", "count", "per_page", "current_page", "total_pages", "links"}}}`;
`include=` adds `attributes.relationships.<name>` in the same shape.
"""

from collections.abc import Iterator

import httpx

from games.hosting.errors import PanelNotFound
from games.hosting.panels.http import PanelHttp

PER_PAGE = 100
SERVER_INCLUDES = "allocations,variables,databases"


def attributes(item: dict) -> dict:
    """An item's attributes with its relationships' lists flattened to lists of attributes."""
    attrs = dict(item.get("attributes") or {})
    relationships = attrs.pop("relationships", None) or {}
    for name, related in relationships.items():
        if isinstance(related, dict) and related.get("object") == "list":
            attrs[name] = [attributes(child) for child in related.get("data") or []]
        elif isinstance(related, dict) and "attributes" in related:
            attrs[name] = attributes(related)
        else:
            attrs[name] = None  # a NullResource: the relation is empty
    return attrs


class PterodactylClient:
    kind = "pterodactyl"

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        name: str = "Pterodactyl",
        transport: httpx.BaseTransport | None = None,
        sleep=None,
    ):
        kwargs = {"sleep": sleep} if sleep else {}
        self.http = PanelHttp(
            base_url=url,
            name=name,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
            transport=transport,
            **kwargs,
        )

    def close(self):
        self.http.close()

    # Reads -----------------------------------------------------------------------------------

    def pages(self, path: str, *, include: str = "", params: dict | None = None) -> Iterator[list[dict]]:
        """Every page of a list, one list of attributes per page, following `meta.pagination`."""
        page = 1
        while True:
            query = {"page": page, "per_page": PER_PAGE, **(params or {})}
            if include:
                query["include"] = include
            body = self.http.request("GET", f"/api/application/{path}", params=query) or {}
            yield [attributes(item) for item in body.get("data") or []]
            pagination = (body.get("meta") or {}).get("pagination") or {}
            if page >= int(pagination.get("total_pages") or 1):
                return
            page += 1

    def test_connection(self) -> dict:
        """One small authenticated call; answers what the panel says it holds."""
        body = self.http.request("GET", "/api/application/locations", params={"per_page": 1}) or {}
        pagination = (body.get("meta") or {}).get("pagination") or {}
        return {"locations": pagination.get("total", len(body.get("data") or []))}

    def locations(self):
        return self.pages("locations")

    def nodes(self):
        return self.pages("nodes")

    def allocations(self, node_id: int):
        return self.pages(f"nodes/{node_id}/allocations")

    def nests(self):
        return self.pages("nests")

    def eggs(self, nest_id: int):
        return self.pages(f"nests/{nest_id}/eggs", include="variables")

    def servers(self):
        return self.pages("servers", include=SERVER_INCLUDES)

    def users(self):
        return self.pages("users")

    def server(self, panel_id: int) -> dict:
        body = self.http.request("GET", f"/api/application/servers/{panel_id}", params={"include": SERVER_INCLUDES})
        return attributes(body)

    def find_server(self, external_id: str) -> dict | None:
        """The server we created with this external id, or None: what makes a retried create safe."""
        try:
            body = self.http.request("GET", f"/api/application/servers/external/{external_id}")
        except PanelNotFound:
            return None
        return attributes(body)

    def deployable_nodes(self, *, memory: int, disk: int, location_ids: list[int]) -> list[dict]:
        params = {"memory": memory, "disk": disk, "per_page": PER_PAGE}
        if location_ids:
            params["location_ids[]"] = location_ids
        body = self.http.request("GET", "/api/application/nodes/deployable", params=params) or {}
        return [attributes(item) for item in body.get("data") or []]

    def free_allocation(self, node_id: int) -> dict | None:
        for page in self.allocations(node_id):
            for allocation in page:
                if not allocation.get("assigned"):
                    return allocation
        return None

    # Writes ----------------------------------------------------------------------------------

    def create_user(self, *, email: str, username: str, first_name: str, last_name: str, external_id: str) -> dict:
        body = {
            "email": email,
            "username": username,
            "first_name": first_name,
            "last_name": last_name,
            "external_id": external_id,
        }
        return attributes(self.http.request("POST", "/api/application/users", json=body))

    def create_server(self, payload: dict) -> dict:
        return attributes(self.http.request("POST", "/api/application/servers", json=payload))

    def suspend(self, panel_id: int) -> None:
        self.http.request("POST", f"/api/application/servers/{panel_id}/suspend")

    def unsuspend(self, panel_id: int) -> None:
        self.http.request("POST", f"/api/application/servers/{panel_id}/unsuspend")

    def reinstall(self, panel_id: int) -> None:
        self.http.request("POST", f"/api/application/servers/{panel_id}/reinstall")

    def update_build(self, panel_id: int, payload: dict) -> dict:
        return attributes(self.http.request("PATCH", f"/api/application/servers/{panel_id}/build", json=payload))

    def update_details(self, panel_id: int, payload: dict) -> dict:
        return attributes(self.http.request("PATCH", f"/api/application/servers/{panel_id}/details", json=payload))

    def update_startup(self, panel_id: int, payload: dict) -> dict:
        return attributes(self.http.request("PATCH", f"/api/application/servers/{panel_id}/startup", json=payload))

    def delete_server(self, panel_id: int) -> None:
        """Delete on the panel (which frees its allocations); a server already gone counts as deleted."""
        try:
            self.http.request("DELETE", f"/api/application/servers/{panel_id}")
        except PanelNotFound:
            return
