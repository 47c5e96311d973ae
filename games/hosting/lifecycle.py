"""Server lifecycle on the panel: create, suspend, unsuspend, reinstall, change build, terminate.

Called by staff (admin actions) and by billing (next issue) with plain values. Each call locks the
server row, talks to the panel, and records the panel's answer on the row in one transaction.
A panel that cannot be reached leaves the call pending on the row (`pending_action`), and the job
`games.retry_pending_server_actions` sends it again with growing delays. A create is safe to
repeat: the server's `external_id` on the panel is our uuid, so a retry first looks it up there
and adopts what an earlier, unanswered attempt created.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Customer
from accounts.services.audit import record_audit
from games.errors import InvalidRequest, InvalidState
from games.hosting import drift
from games.hosting.errors import HostingRefused, PanelError, PanelUnreachable
from games.hosting.models import (
    Allocation,
    Egg,
    Location,
    Node,
    PanelUser,
    PendingAction,
    Server,
    ServerStatus,
)
from games.hosting.panels import client_for

RETRY_DELAYS = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=6),
]
LIMIT_FIELDS = ("memory", "swap", "disk", "io", "cpu", "databases_limit", "backups_limit", "allocations_limit")
# What the server's row keeps of the panel's answer: never its container environment (egg
# variables may hold passwords).
KEPT_ATTRIBUTES = (
    "id",
    "uuid",
    "identifier",
    "external_id",
    "status",
    "suspended",
    "limits",
    "feature_limits",
    "node",
    "allocation",
    "egg",
    "user",
)


def _answer(attrs: dict | None, action: str) -> dict:
    kept = {k: attrs[k] for k in KEPT_ATTRIBUTES if attrs and k in attrs}
    return {
        "action": action,
        "at": timezone.now().isoformat(),
        **({"server": kept} if kept else {"answer": "204 No Content"}),
    }


def _limits(values: dict) -> dict:
    clean = {}
    for name in LIMIT_FIELDS:
        value = values.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRequest(f"{name} must be a whole number.", details={"field": name})
        if value < (-1 if name == "swap" else 0):
            raise InvalidRequest(f"{name} cannot be negative.", details={"field": name})
        clean[name] = value
    if clean["memory"] < 128 or clean["disk"] < 128:
        raise InvalidRequest("A server needs at least 128 MiB of memory and of disk.", details={"field": "memory"})
    return clean


# Create ------------------------------------------------------------------------------------


@transaction.atomic
def _create_row(*, customer, egg, name, limits, location, node, environment, by) -> Server:
    server = Server.objects.create(
        integration=egg.integration,
        panel_type=egg.integration.kind,
        customer=customer,
        egg=egg,
        node=node,
        name=name,
        status=ServerStatus.PENDING,
        docker_image=egg.docker_image,
        startup=egg.startup,
        pending_action=PendingAction.CREATE,
        pending_payload={"location": location.external_id if location else None, "environment": environment},
        pending_next_attempt_at=timezone.now(),
        **limits,
    )
    record_audit(actor=by, action="server.create_requested", obj=server, before=None, after={"name": name, **limits})
    return server


def create_server(
    *,
    customer: Customer,
    egg: Egg,
    name: str,
    memory: int,
    disk: int,
    cpu: int = 100,
    swap: int = 0,
    io: int = 500,
    databases_limit: int = 0,
    backups_limit: int = 0,
    allocations_limit: int = 1,
    location: Location | None = None,
    node: Node | None = None,
    environment: dict | None = None,
    by=None,
    client=None,
) -> Server:
    """A new server for `customer` from `egg`, on a node of `location` (or `node`) with room for it.

    The row is written first (pending), then the panel is asked; a panel that is down leaves it
    pending for the retry job. Returns the server in whatever state the panel's answer left it.
    """
    name = (name or "").strip()[:191]
    if not name:
        raise InvalidRequest("A server needs a name.", details={"field": "name"})
    if egg.integration_id is None or egg.removed_on_panel_at is not None:
        raise InvalidRequest("This egg is not on a panel: pick a synced egg.", details={"field": "egg"})
    if location is None and node is None:
        raise InvalidRequest("Name a location (or a node) for the server.", details={"field": "location"})
    for row in (location, node):
        if row is not None and row.integration_id != egg.integration_id:
            raise InvalidRequest("The location or node is on another panel than the egg.", details={"field": "node"})
    environment = {str(k): str(v) for k, v in (environment or {}).items()}
    limits = _limits(
        {
            "memory": memory,
            "swap": swap,
            "disk": disk,
            "io": io,
            "cpu": cpu,
            "databases_limit": databases_limit,
            "backups_limit": backups_limit,
            "allocations_limit": allocations_limit,
        }
    )
    server = _create_row(
        customer=customer,
        egg=egg,
        name=name,
        limits=limits,
        location=location,
        node=node,
        environment=environment,
        by=by,
    )
    return attempt(server=server, by=by, client=client)


def _panel_user(server: Server, client) -> int:
    """The panel user id of the server's owner, creating the panel account the first time."""
    existing = PanelUser.objects.filter(integration=server.integration, customer=server.customer).first()
    if existing:
        return existing.external_id
    customer = server.customer
    user = customer.user
    first, _, last = (customer.full_name or user.username).partition(" ")
    attrs = client.create_user(
        email=user.email,
        username=user.username,
        first_name=first or user.username,
        last_name=last or "-",
        external_id=str(customer.player_id),
    )
    PanelUser.objects.create(
        integration=server.integration,
        external_id=attrs["id"],
        panel_external_id=attrs.get("external_id") or "",
        customer=customer,
        username=attrs.get("username") or user.username,
        email=attrs.get("email") or user.email,
    )
    return attrs["id"]


def _pick_node(server: Server, client) -> Node:
    if server.node_id:
        return server.node
    location = server.pending_payload.get("location")
    candidates = client.deployable_nodes(
        memory=server.memory, disk=server.disk, location_ids=[location] if location else []
    )
    ids = [c["id"] for c in candidates]
    nodes = {n.external_id: n for n in Node.objects.filter(integration=server.integration, external_id__in=ids)}
    for candidate in ids:
        if candidate in nodes and not nodes[candidate].is_maintenance:
            return nodes[candidate]
    raise HostingRefused(
        "No node of that location has enough free memory and disk for this server.",
        details={"memory": server.memory, "disk": server.disk, "location": location},
    )


def create_payload(server: Server, *, user_id: int, allocation_id: int) -> dict:
    """The body of POST /api/application/servers for this server (what the panel receives)."""
    environment = {v.env_variable: v.default_value for v in server.egg.variables.all()}
    environment.update(server.pending_payload.get("environment") or {})
    return {
        "external_id": str(server.uuid),
        "name": server.name,
        "description": server.description,
        "user": user_id,
        "egg": server.egg.external_id,
        "docker_image": server.egg.docker_image,
        "startup": server.egg.startup,
        "environment": environment,
        "limits": {
            "memory": server.memory,
            "swap": server.swap,
            "disk": server.disk,
            "io": server.io,
            "cpu": server.cpu,
        },
        "feature_limits": {
            "databases": server.databases_limit,
            "allocations": server.allocations_limit,
            "backups": server.backups_limit,
        },
        "allocation": {"default": allocation_id},
        "start_on_completion": True,
    }


def _do_create(server: Server, client) -> dict:
    found = client.find_server(str(server.uuid))
    if found is None:
        user_id = _panel_user(server, client)
        node = _pick_node(server, client)
        allocation = client.free_allocation(node.external_id)
        if allocation is None:
            raise HostingRefused(f"Node {node} has no free allocation (ip:port) left.", details={"node": node.pk})
        server.node = node
        found = client.create_server(create_payload(server, user_id=user_id, allocation_id=allocation["id"]))
    _adopt(server, found)
    return found


def _adopt(server: Server, attrs: dict) -> None:
    """Our row takes the panel's ids and state from its answer to a create."""
    server.external_id = attrs["id"]
    server.identifier = (attrs.get("identifier") or "")[:32]
    node = Node.objects.filter(integration=server.integration, external_id=attrs.get("node")).first()
    if node is not None:
        server.node = node
    server.mark_created()
    status = ServerStatus.SUSPENDED if attrs.get("suspended") else attrs.get("status")
    if status is None and (attrs.get("container") or {}).get("installed"):
        server.mark_installed()
    elif status in (ServerStatus.INSTALL_FAILED, ServerStatus.SUSPENDED):
        server.take_panel_status(status)
    server.synced_values = drift.panel_values(attrs)
    server.synced_at = timezone.now()
    allocation = Allocation.objects.filter(integration=server.integration, external_id=attrs.get("allocation")).first()
    if allocation is not None:
        server.default_allocation = allocation
        Allocation.objects.filter(pk=allocation.pk).update(server=server)


# The other calls ---------------------------------------------------------------------------


def _require_on_panel(server: Server) -> None:
    if server.external_id is None or server.status in (ServerStatus.PENDING, ServerStatus.TERMINATED):
        raise InvalidState(
            f"Server {server} is not on the panel ({server.get_status_display()}).", details={"status": server.status}
        )


def _do_suspend(server: Server, client) -> None:
    _require_on_panel(server)
    client.suspend(server.external_id)
    if server.status != ServerStatus.SUSPENDED:
        server.take_panel_status(ServerStatus.SUSPENDED)
    server.synced_values = {**server.synced_values, "status": drift.SUSPENDED}


def _do_unsuspend(server: Server, client) -> None:
    _require_on_panel(server)
    client.unsuspend(server.external_id)
    if server.status == ServerStatus.SUSPENDED:
        server.unsuspend()
    server.synced_values = {**server.synced_values, "status": drift.ACTIVE}


def _do_reinstall(server: Server, client) -> None:
    _require_on_panel(server)
    client.reinstall(server.external_id)
    server.reinstall()


def build_payload(server: Server, limits: dict) -> dict:
    """The body of PATCH /api/application/servers/{id}/build."""
    allocation = server.default_allocation.external_id if server.default_allocation_id else None
    return {
        "allocation": allocation,
        "memory": limits["memory"],
        "swap": limits["swap"],
        "disk": limits["disk"],
        "io": limits["io"],
        "cpu": limits["cpu"],
        "threads": None,
        "feature_limits": {
            "databases": limits["databases_limit"],
            "allocations": limits["allocations_limit"],
            "backups": limits["backups_limit"],
        },
    }


def _do_build(server: Server, client) -> dict:
    _require_on_panel(server)
    limits = server.pending_payload.get("limits") or {name: getattr(server, name) for name in LIMIT_FIELDS}
    attrs = client.update_build(server.external_id, build_payload(server, limits))
    for name, value in limits.items():
        setattr(server, name, value)
    server.synced_values = {
        **server.synced_values,
        **{k: v for k, v in drift.panel_values(attrs).items() if k in limits},
    }
    return attrs


def _do_terminate(server: Server, client) -> None:
    if server.status == ServerStatus.TERMINATED:
        raise InvalidState(f"Server {server} is already terminated.", details={"status": server.status})
    if server.external_id is not None:
        client.delete_server(server.external_id)
    server.terminate()
    server.default_allocation = None
    Allocation.objects.filter(server=server).update(server=None)


ACTIONS = {
    PendingAction.CREATE: _do_create,
    PendingAction.SUSPEND: _do_suspend,
    PendingAction.UNSUSPEND: _do_unsuspend,
    PendingAction.REINSTALL: _do_reinstall,
    PendingAction.BUILD: _do_build,
    PendingAction.TERMINATE: _do_terminate,
}


def attempt(*, server: Server, by=None, client=None, action: str | None = None, payload: dict | None = None) -> Server:
    """Send `action` (default: the server's pending one) to the panel and record its answer.

    Unreachable panel: the action stays pending with its next attempt time. Refused (4xx, or our
    own rule): recorded on the row as `panel_error`, no longer pending, and raised to the caller.
    """
    refusal = None
    own_client = client is None
    with transaction.atomic():
        locked = (
            Server.objects.select_for_update(of=("self",))
            .select_related("integration", "egg", "node", "customer__user")
            .get(pk=server.pk)
        )
        action = action or locked.pending_action
        if not action:
            return locked
        if (
            locked.pending_action == PendingAction.CREATE
            and action != PendingAction.CREATE
            and action != PendingAction.TERMINATE
        ):
            raise InvalidState(
                f"Server {locked} is still waiting to be created on the panel.",
                details={"pending": locked.pending_action},
            )
        if payload is not None:
            locked.pending_payload = {**locked.pending_payload, **payload}
        before = {"status": locked.status, "pending_action": locked.pending_action}
        client = client or client_for(locked.integration)
        try:
            answer = ACTIONS[action](locked, client)
        except PanelUnreachable as exc:
            attempts = locked.pending_attempts + 1 if locked.pending_action == action else 1
            locked.pending_action = action
            locked.pending_attempts = attempts
            locked.pending_next_attempt_at = timezone.now() + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
            locked.panel_error = exc.message
            locked.last_panel_response = {"action": action, "at": timezone.now().isoformat(), "error": exc.details}
        except (PanelError, HostingRefused, InvalidState) as exc:
            if isinstance(exc, InvalidState) and locked.pending_action != action:
                raise
            locked.pending_action = PendingAction.NONE
            locked.pending_attempts = 0
            locked.pending_next_attempt_at = None
            locked.panel_error = exc.message
            locked.last_panel_response = {"action": action, "at": timezone.now().isoformat(), "error": exc.details}
            refusal = exc
        else:
            locked.pending_action = PendingAction.NONE
            locked.pending_payload = {k: v for k, v in locked.pending_payload.items() if k != "limits"}
            locked.pending_attempts = 0
            locked.pending_next_attempt_at = None
            locked.panel_error = ""
            locked.last_panel_response = _answer(answer if isinstance(answer, dict) else None, action)
        finally:
            if own_client and hasattr(client, "close"):
                client.close()
        locked.save()
        record_audit(
            actor=by,
            action=f"server.{action}",
            obj=locked,
            before=before,
            after={"status": locked.status, "pending_action": locked.pending_action, "panel_error": locked.panel_error},
        )
    if refusal is not None:
        raise refusal
    return locked


def suspend_server(*, server: Server, by=None, client=None) -> Server:
    return attempt(server=server, by=by, client=client, action=PendingAction.SUSPEND)


def unsuspend_server(*, server: Server, by=None, client=None) -> Server:
    return attempt(server=server, by=by, client=client, action=PendingAction.UNSUSPEND)


def reinstall_server(*, server: Server, by=None, client=None) -> Server:
    return attempt(server=server, by=by, client=client, action=PendingAction.REINSTALL)


def change_build(*, server: Server, by=None, client=None, **limits) -> Server:
    """New limits for the server (every limit named; unnamed ones keep the server's)."""
    unknown = set(limits) - set(LIMIT_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown limit {sorted(unknown)[0]!r}.", details={"field": sorted(unknown)[0]})
    clean = _limits({**{name: getattr(server, name) for name in LIMIT_FIELDS}, **limits})
    return attempt(server=server, by=by, client=client, action=PendingAction.BUILD, payload={"limits": clean})


def terminate_server(*, server: Server, by=None, client=None) -> Server:
    return attempt(server=server, by=by, client=client, action=PendingAction.TERMINATE)


def push_field(*, server: Server, field: str, value, client=None) -> None:
    """Send our value of one watched field to the panel (drift's "push ours"); raises what the panel says."""
    _require_on_panel(server)
    own_client = client is None
    client = client or client_for(server.integration)
    try:
        if field in drift.LIMITS:
            limits = {name: getattr(server, name) for name in LIMIT_FIELDS}
            client.update_build(server.external_id, build_payload(server, limits))
        elif field == "status":
            (client.suspend if value == drift.SUSPENDED else client.unsuspend)(server.external_id)
        elif field == "owner":
            if value is None:
                value = _panel_user(server, client)
            client.update_details(
                server.external_id,
                {
                    "name": server.name,
                    "user": value,
                    "external_id": str(server.uuid),
                    "description": server.description,
                },
            )
        elif field == "egg":
            environment = {
                sv.egg_variable.env_variable: sv.value for sv in server.variables.select_related("egg_variable")
            }
            client.update_startup(
                server.external_id,
                {
                    "startup": server.startup or server.egg.startup,
                    "environment": environment,
                    "egg": value,
                    "image": server.docker_image or server.egg.docker_image,
                    "skip_scripts": False,
                },
            )
        else:
            raise HostingRefused(
                "The panel's application API cannot move a server to another node: take the panel's value, "
                "or transfer the server in the panel.",
                details={"field": field},
            )
    finally:
        if own_client:
            client.close()
    server.last_panel_response = {"action": f"push:{field}", "at": timezone.now().isoformat(), "value": value}


def due_pending(now=None):
    return (
        Server.objects.filter(pending_next_attempt_at__lte=now or timezone.now())
        .exclude(pending_action="")
        .order_by("pending_next_attempt_at", "pk")
    )


def retry_pending(*, progress=None, now=None) -> dict:
    """Send again every call a panel did not take and whose next attempt is due."""
    done = still_pending = refused = 0
    for server in due_pending(now)[:200]:
        try:
            saved = attempt(server=server)
        except (PanelError, HostingRefused, InvalidState) as exc:
            refused += 1
            if progress is not None:
                progress.item_failed(exc, item=server.pk)
            continue
        if saved.pending_action:
            still_pending += 1
        else:
            done += 1
        if progress is not None:
            progress.processed()
    return {"done": done, "still_pending": still_pending, "refused": refused}
