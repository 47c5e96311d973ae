"""Panel sync: the panel's locations, nodes, allocations, nests, eggs, users and servers into our mirrors.

Anchored on panel ids within one Integration, so a run twice writes nothing the second time. Each
page commits on its own: a page that fails (the panel down, a 401) fails the run and keeps what
the pages before it synced. Rows the panel no longer lists are marked `removed_on_panel_at` once
a listing completed, never deleted. Servers' watched fields go through drift detection
(games.hosting.drift) instead of being overwritten. Every run writes a SyncLog with its counts.
"""

import logging
import time
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer
from games.hosting import drift
from games.hosting.errors import HostingRefused, PanelError
from games.hosting.models import (
    Allocation,
    Egg,
    EggVariable,
    Integration,
    IntegrationStatus,
    Location,
    Nest,
    Node,
    PanelUser,
    Server,
    ServerDatabase,
    ServerStatus,
    ServerVariable,
    SyncLog,
    SyncStatus,
    SyncType,
)
from games.hosting.panels import client_for

logger = logging.getLogger(__name__)

# In dependency order: a node needs its location, a server its node, egg and owner.
ENTITIES = ("locations", "nodes", "allocations", "nests", "eggs", "users", "servers")
LOCK_SECONDS = 30 * 60


class SyncInProgress(HostingRefused):
    code = "sync_in_progress"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    removed: int = 0

    @property
    def synced(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict:
        return {**self.__dict__, "synced": self.synced, "total": self.synced + self.failed}


@dataclass
class SyncRun:
    integration: Integration
    client: object
    log: SyncLog
    counts: dict = field(default_factory=dict)
    changes: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    drift_findings: int = 0

    def count(self, entity: str) -> Counts:
        return self.counts.setdefault(entity, Counts())

    def fail(self, entity: str, external_id, reason: str) -> None:
        self.count(entity).failed += 1
        if len(self.failures) < 50:
            self.failures.append({"entity": entity, "id": external_id, "reason": reason})


def _lock_key(integration: Integration) -> str:
    return f"hosting:sync:{integration.pk}"


def sync_integration(
    *, integration: Integration, entities: list[str] | None = None, dry_run: bool = False, client=None
) -> SyncLog:
    """Sync these entities (all by default) of one panel; one run per integration at a time.

    A dry run does every read and computes every change, then rolls back: nothing is kept, the
    returned (unsaved) log's `metadata["changes"]` says what would have changed.
    """
    unknown = [e for e in entities or () if e not in ENTITIES]
    if unknown:
        raise HostingRefused(f"Unknown entity {unknown[0]!r}.", details={"known": list(ENTITIES)})
    wanted = [e for e in ENTITIES if not entities or e in entities]
    if not cache.add(_lock_key(integration), "1", LOCK_SECONDS):
        raise SyncInProgress(f"A sync of {integration} is already running.", details={"integration": integration.pk})
    own_client = client is None
    client = client or client_for(integration)
    try:
        if dry_run:
            with transaction.atomic():
                log = _run(integration, client, wanted)
                transaction.set_rollback(True)
            return log
        return _run(integration, client, wanted)
    finally:
        cache.delete(_lock_key(integration))
        if own_client:
            client.close()


def _run(integration: Integration, client, wanted: list[str]) -> SyncLog:
    sync_type = SyncType.FULL if len(wanted) > 1 else wanted[0]
    started = time.monotonic()
    log = SyncLog.objects.create(
        integration=integration, sync_type=sync_type, status=SyncStatus.IN_PROGRESS, started_at=timezone.now()
    )
    run = SyncRun(integration=integration, client=client, log=log)
    error = ""
    for entity in wanted:
        try:
            SYNCERS[entity](run)
        except PanelError as exc:
            error = f"{entity}: {exc.message}"
            logger.warning("sync of %s failed at %s: %s", integration, entity, exc.code)
            break
    totals = list(run.counts.values())
    synced = sum(c.synced for c in totals)
    failed = sum(c.failed for c in totals)
    log.status = SyncStatus.FAILED if error else SyncStatus.COMPLETED
    log.records_synced = synced
    log.records_failed = failed
    log.records_total = synced + failed
    log.error_message = error
    log.duration_ms = int((time.monotonic() - started) * 1000)
    log.completed_at = timezone.now()
    log.metadata = {
        "entities": {name: c.as_dict() for name, c in run.counts.items()},
        "failures": run.failures,
        "changes": run.changes[:200],
        "drift_findings": run.drift_findings,
    }
    log.save()
    Integration.objects.filter(pk=integration.pk).update(
        status=IntegrationStatus.ERROR if error else IntegrationStatus.ACTIVE,
        last_error=error,
        **({} if error else {"last_sync_at": log.completed_at}),
    )
    return log


def _upsert(run: SyncRun, entity: str, model, existing: dict, external_id: int, values: dict, **scope):
    """Create or update one mirrored row; returns it. Counts created / updated / unchanged."""
    counts = run.count(entity)
    row = existing.get(external_id)
    if row is None:
        row = model.objects.create(
            integration=run.integration, panel_type=run.integration.kind, external_id=external_id, **scope, **values
        )
        counts.created += 1
        run.changes.append(f"new {entity[:-1]} {external_id}: {row}")
        return row
    values = {**values, "removed_on_panel_at": None}
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        counts.unchanged += 1
        return row
    for name in changed:
        setattr(row, name, values[name])
    row.save(update_fields=[*changed, "updated_at"])
    counts.updated += 1
    run.changes.append(f"{entity[:-1]} {external_id}: {', '.join(changed)} changed")
    return row


def _existing(run: SyncRun, model, ids, **scope) -> dict:
    rows = model.objects.filter(integration=run.integration, external_id__in=list(ids), **scope)
    return {row.external_id: row for row in rows}


def _mark_removed(run: SyncRun, entity: str, queryset, seen: set) -> None:
    gone = (
        queryset.filter(removed_on_panel_at__isnull=True)
        .exclude(external_id__in=seen)
        .exclude(external_id__isnull=True)
    )
    removed = gone.update(removed_on_panel_at=timezone.now())
    run.count(entity).removed += removed
    if removed:
        run.changes.append(f"{removed} {entity} gone from the panel, marked removed")


def _lookup(model, integration, ids) -> dict:
    return {row.external_id: row for row in model.objects.filter(integration=integration, external_id__in=list(ids))}


# Entities ------------------------------------------------------------------------------------


def _sync_locations(run: SyncRun) -> None:
    seen = set()
    for page in run.client.locations():
        with transaction.atomic():
            existing = _existing(run, Location, (a["id"] for a in page))
            for a in page:
                seen.add(a["id"])
                values = {"short_code": a.get("short") or "", "description": (a.get("long") or "")[:255]}
                _upsert(run, "locations", Location, existing, a["id"], values)
    _mark_removed(run, "locations", Location.objects.filter(integration=run.integration), seen)


def _sync_nodes(run: SyncRun) -> None:
    seen = set()
    for page in run.client.nodes():
        with transaction.atomic():
            existing = _existing(run, Node, (a["id"] for a in page))
            locations = _lookup(Location, run.integration, {a.get("location_id") for a in page})
            for a in page:
                seen.add(a["id"])
                location = locations.get(a.get("location_id"))
                if location is None:
                    run.fail("nodes", a["id"], f"location {a.get('location_id')} is not synced")
                    continue
                values = {
                    "location": location,
                    "name": a.get("name") or "",
                    "fqdn": a.get("fqdn") or "",
                    "scheme": a.get("scheme") or "https",
                    "is_public": bool(a.get("public")),
                    "is_maintenance": bool(a.get("maintenance_mode")),
                    "memory": int(a.get("memory") or 0),
                    "memory_overallocate": int(a.get("memory_overallocate") or 0),
                    "disk": int(a.get("disk") or 0),
                    "disk_overallocate": int(a.get("disk_overallocate") or 0),
                }
                _upsert(run, "nodes", Node, existing, a["id"], values)
    _mark_removed(run, "nodes", Node.objects.filter(integration=run.integration), seen)


def _sync_allocations(run: SyncRun) -> None:
    nodes = Node.objects.filter(integration=run.integration, removed_on_panel_at__isnull=True).order_by("pk")
    for node in nodes:
        seen = set()
        for page in run.client.allocations(node.external_id):
            with transaction.atomic():
                existing = _existing(run, Allocation, (a["id"] for a in page))
                for a in page:
                    seen.add(a["id"])
                    values = {
                        "node": node,
                        "ip": a.get("ip") or "",
                        "port": int(a.get("port") or 0),
                        "alias": a.get("alias") or "",
                        "notes": a.get("notes") or "",
                    }
                    if not 1 <= values["port"] <= 65535:
                        run.fail("allocations", a["id"], f"port {values['port']} is out of range")
                        continue
                    _upsert(run, "allocations", Allocation, existing, a["id"], values)
        _mark_removed(run, "allocations", Allocation.objects.filter(integration=run.integration, node=node), seen)


def _sync_nests(run: SyncRun) -> None:
    seen = set()
    for page in run.client.nests():
        with transaction.atomic():
            existing = _existing(run, Nest, (a["id"] for a in page))
            for a in page:
                seen.add(a["id"])
                values = {
                    "name": a.get("name") or "",
                    "description": a.get("description") or "",
                    "author": a.get("author") or "",
                }
                _upsert(run, "nests", Nest, existing, a["id"], values)
    _mark_removed(run, "nests", Nest.objects.filter(integration=run.integration), seen)


def _sync_eggs(run: SyncRun) -> None:
    seen = set()
    for nest in Nest.objects.filter(integration=run.integration, removed_on_panel_at__isnull=True).order_by("pk"):
        for page in run.client.eggs(nest.external_id):
            with transaction.atomic():
                existing = _existing(run, Egg, (a["id"] for a in page))
                for a in page:
                    seen.add(a["id"])
                    images = a.get("docker_images") or {}
                    values = {
                        "nest": nest,
                        "name": a.get("name") or "",
                        "description": a.get("description") or "",
                        "docker_image": a.get("docker_image") or next(iter(images.values()), ""),
                        "docker_images": images,
                        "startup": a.get("startup") or "",
                    }
                    egg = _upsert(run, "eggs", Egg, existing, a["id"], values)
                    _sync_egg_variables(run, egg, a.get("variables") or [])
    _mark_removed(run, "eggs", Egg.objects.filter(integration=run.integration), seen)


def _sync_egg_variables(run: SyncRun, egg: Egg, variables: list[dict]) -> None:
    existing = _existing(run, EggVariable, (v["id"] for v in variables))
    for v in variables:
        values = {
            "egg": egg,
            "name": v.get("name") or "",
            "description": v.get("description") or "",
            "env_variable": v.get("env_variable") or "",
            "default_value": v.get("default_value") or "",
            "user_viewable": bool(v.get("user_viewable")),
            "user_editable": bool(v.get("user_editable")),
            "rules": (v.get("rules") or "")[:255],
        }
        _upsert(run, "egg_variables", EggVariable, existing, v["id"], values)


def _sync_users(run: SyncRun) -> None:
    seen = set()
    for page in run.client.users():
        with transaction.atomic():
            existing = {
                u.external_id: u
                for u in PanelUser.objects.filter(integration=run.integration, external_id__in=[a["id"] for a in page])
            }
            for a in page:
                seen.add(a["id"])
                _upsert_user(run, existing.get(a["id"]), a)
    gone = PanelUser.objects.filter(integration=run.integration, removed_on_panel_at__isnull=True).exclude(
        external_id__in=seen
    )
    run.count("users").removed += gone.update(removed_on_panel_at=timezone.now())


def _match_customer(run: SyncRun, a: dict) -> Customer | None:
    """Ours by the external id we gave the panel (the player id), then by email."""
    linked = PanelUser.objects.filter(integration=run.integration, customer__isnull=False).values("customer_id")
    free = Customer.objects.exclude(pk__in=linked).select_related("user")
    external_id = (a.get("external_id") or "").strip()
    if external_id:
        match = free.filter(player_id=external_id).first() if _is_uuid(external_id) else None
        if match:
            return match
    email = (a.get("email") or "").strip()
    return free.filter(user__email__iexact=email).first() if email else None


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _upsert_user(run: SyncRun, user: PanelUser | None, a: dict) -> None:
    counts = run.count("users")
    values = {
        "username": (a.get("username") or "")[:191],
        "email": (a.get("email") or "")[:254],
        "panel_external_id": (a.get("external_id") or "")[:191],
        "removed_on_panel_at": None,
    }
    if user is None:
        customer = _match_customer(run, a)
        PanelUser.objects.create(integration=run.integration, external_id=a["id"], customer=customer, **values)
        counts.created += 1
        run.changes.append(f"new user {a['id']}: {values['username']}" + (f" is {customer}" if customer else ""))
        return
    if user.customer_id is None:
        customer = _match_customer(run, a)
        if customer is not None:
            values["customer"] = customer
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    if not changed:
        counts.unchanged += 1
        return
    for name in changed:
        setattr(user, name, values[name])
    user.save(update_fields=[*changed, "updated_at"])
    counts.updated += 1
    run.changes.append(f"user {a['id']}: {', '.join(changed)} changed")


def _sync_servers(run: SyncRun) -> None:
    seen = set()
    for page in run.client.servers():
        with transaction.atomic():
            ids = [a["id"] for a in page]
            existing = {
                s.external_id: s
                for s in Server.objects.filter(integration=run.integration, external_id__in=ids).select_related(
                    "egg", "node"
                )
            }
            # A server we created is found by its external id (our uuid) before its first sync.
            ours = {
                str(s.uuid): s
                for s in Server.objects.filter(
                    integration=run.integration,
                    uuid__in=[a.get("external_id") for a in page if _is_uuid(a.get("external_id") or "")],
                    external_id__isnull=True,
                )
            }
            nodes = _lookup(Node, run.integration, {a.get("node") for a in page})
            eggs = _lookup(Egg, run.integration, {a.get("egg") for a in page})
            owners = {
                u.external_id: u
                for u in PanelUser.objects.filter(
                    integration=run.integration, external_id__in={a.get("user") for a in page}
                )
            }
            for a in page:
                seen.add(a["id"])
                server = existing.get(a["id"]) or ours.get(a.get("external_id") or "")
                _sync_server(run, server, a, nodes=nodes, eggs=eggs, owners=owners)
    gone = Server.objects.filter(integration=run.integration).exclude(status=ServerStatus.TERMINATED)
    _mark_removed(run, "servers", gone, seen)


def panel_status(a: dict) -> str:
    if a.get("suspended") or a.get("status") == "suspended":
        return ServerStatus.SUSPENDED
    if a.get("status") in ServerStatus.values:
        return a["status"]
    return ServerStatus.RUNNING


def _sync_server(run: SyncRun, server: Server | None, a: dict, *, nodes, eggs, owners) -> None:
    counts = run.count("servers")
    node, egg, owner = nodes.get(a.get("node")), eggs.get(a.get("egg")), owners.get(a.get("user"))
    if node is None or egg is None:
        run.fail("servers", a["id"], f"node {a.get('node')} or egg {a.get('egg')} is not synced")
        return
    if server is None and (owner is None or owner.customer_id is None):
        run.fail("servers", a["id"], f"owner (panel user {a.get('user')}) is not one of our customers")
        return
    container = a.get("container") or {}
    plain = {
        "identifier": (a.get("identifier") or "")[:32],
        "name": (a.get("name") or "")[:191],
        "description": a.get("description") or "",
        "docker_image": (container.get("image") or "")[:255],
        "startup": container.get("startup_command") or "",
        "removed_on_panel_at": None,
        "external_id": a["id"],
    }
    watched = drift.panel_values(a)
    if server is None:
        server = Server(
            integration=run.integration,
            panel_type=run.integration.kind,
            customer=owner.customer,
            node=node,
            egg=egg,
            status=panel_status(a),
            **plain,
            **drift.limits_of(watched),
        )
        server.synced_values = watched
        server.synced_at = timezone.now()
        server.save()
        counts.created += 1
        run.changes.append(f"new server {a['id']}: {server.name}")
    else:
        changed = [name for name, value in plain.items() if getattr(server, name) != value]
        for name in changed:
            setattr(server, name, plain[name])
        status = panel_status(a)
        # Install states are the panel's word; suspension is ours to decide, so it is watched as drift.
        if server.status not in (ServerStatus.SUSPENDED, ServerStatus.PENDING, ServerStatus.TERMINATED) and (
            status != ServerStatus.SUSPENDED and status != server.status
        ):
            server.take_panel_status(status)
            changed.append("status")
        changed += drift.compare(run=run, server=server, panel=watched)
        if changed:
            server.save()
            counts.updated += 1
            run.changes.append(f"server {a['id']}: {', '.join(changed)} changed")
        else:
            counts.unchanged += 1
    _sync_server_children(run, server, a)


def _sync_server_children(run: SyncRun, server: Server, a: dict) -> None:
    """Its allocations (which are its address), its variables' values and its databases."""
    allocation_ids = [al["id"] for al in a.get("allocations") or []]
    if allocation_ids:
        Allocation.objects.filter(integration=run.integration, external_id__in=allocation_ids).exclude(
            server=server
        ).update(server=server)
    Allocation.objects.filter(server=server).exclude(external_id__in=allocation_ids).update(server=None)
    default = Allocation.objects.filter(integration=run.integration, external_id=a.get("allocation")).first()
    if default is not None and server.default_allocation_id != default.pk:
        Server.objects.filter(pk=server.pk).update(default_allocation=default)
    variables = {v.external_id: v for v in EggVariable.objects.filter(egg=server.egg_id, integration=run.integration)}
    current = {sv.egg_variable_id: sv for sv in ServerVariable.objects.filter(server=server)}
    for v in a.get("variables") or []:
        egg_variable = variables.get(v.get("id"))
        if egg_variable is None:
            continue
        value = "" if v.get("server_value") is None else str(v.get("server_value"))
        row = current.get(egg_variable.pk)
        if row is None:
            ServerVariable.objects.create(server=server, egg_variable=egg_variable, value=value)
        elif row.value != value:
            row.value = value
            row.save(update_fields=["value", "updated_at"])
    databases = {d.external_id: d for d in ServerDatabase.objects.filter(server=server, integration=run.integration)}
    for d in a.get("databases") or []:
        password = ((d.get("password") or {}) or {}).get("password")
        values = {
            "database": (d.get("database") or "")[:191],
            "username": (d.get("username") or "")[:191],
            "host": str((d.get("host") or {}).get("host") if isinstance(d.get("host"), dict) else d.get("host") or "")[
                :255
            ],
            "remote": (d.get("remote") or "%")[:255],
            "max_connections": int(d.get("max_connections") or 0),
        }
        row = databases.get(d["id"])
        if row is None:
            ServerDatabase.objects.create(
                server=server,
                integration=run.integration,
                panel_type=run.integration.kind,
                external_id=d["id"],
                password=password or None,
                **values,
            )
            continue
        if password:
            values["password"] = password
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        if changed:
            for k in changed:
                setattr(row, k, values[k])
            row.save(update_fields=[*changed, "updated_at"])


SYNCERS = {
    "locations": _sync_locations,
    "nodes": _sync_nodes,
    "allocations": _sync_allocations,
    "nests": _sync_nests,
    "eggs": _sync_eggs,
    "users": _sync_users,
    "servers": _sync_servers,
}
