"""Drift: where a server's watched fields differ between the panel and us, and reconciling them.

At each sync, for each watched field, three values meet: the panel's now, ours now, and the one
both had at the last sync (`Server.synced_values`). Equal now: no drift (the base moves on).
Otherwise the finding says who moved: the panel (ours is still the base), us (the panel's is),
or both. Values are in the panel's terms: limits as numbers, egg/node/owner as panel ids,
status as "suspended" or "active" (install states are the panel's alone to report).

Staff resolve a finding by taking the panel's value (our row changes) or pushing ours (the panel
changes through its API); both are audited and move the base.
"""

from django.db import transaction
from django.utils import timezone

from accounts.services.audit import record_audit
from games.hosting.errors import HostingRefused
from games.hosting.models import (
    DriftFinding,
    DriftOrigin,
    DriftStatus,
    Egg,
    Node,
    PanelUser,
    Server,
    ServerStatus,
)

LIMITS = {
    "memory": ("limits", "memory"),
    "swap": ("limits", "swap"),
    "disk": ("limits", "disk"),
    "io": ("limits", "io"),
    "cpu": ("limits", "cpu"),
    "databases_limit": ("feature_limits", "databases"),
    "backups_limit": ("feature_limits", "backups"),
    "allocations_limit": ("feature_limits", "allocations"),
}
WATCHED = (*LIMITS, "egg", "node", "owner", "status")
SUSPENDED, ACTIVE = "suspended", "active"


def panel_values(a: dict) -> dict:
    """The watched fields as the panel's server attributes give them."""
    values = {name: int((a.get(group) or {}).get(key) or 0) for name, (group, key) in LIMITS.items()}
    values["egg"] = a.get("egg")
    values["node"] = a.get("node")
    values["owner"] = a.get("user")
    values["status"] = SUSPENDED if a.get("suspended") or a.get("status") == "suspended" else ACTIVE
    return values


def limits_of(values: dict) -> dict:
    return {name: values[name] for name in LIMITS}


def our_values(server: Server) -> dict:
    values = {name: getattr(server, name) for name in LIMITS}
    values["egg"] = server.egg.external_id if server.egg_id else None
    values["node"] = server.node.external_id if server.node_id else None
    owner = PanelUser.objects.filter(integration=server.integration_id, customer=server.customer_id).first()
    values["owner"] = owner.external_id if owner else None
    values["status"] = SUSPENDED if server.status == ServerStatus.SUSPENDED else ACTIVE
    return values


def compare(*, run, server: Server, panel: dict) -> list[str]:
    """Record findings for the watched fields that differ; returns ["synced_values"] if the base moved."""
    ours = our_values(server)
    base = dict(server.synced_values or {})
    open_findings = {f.field: f for f in DriftFinding.objects.filter(server=server, status=DriftStatus.OPEN)}
    new_base = dict(base)
    for name in WATCHED:
        finding = open_findings.get(name)
        if panel[name] == ours[name]:
            new_base[name] = panel[name]
            if finding is not None:
                finding.status = DriftStatus.CONVERGED
                finding.resolved_at = timezone.now()
                finding.save(update_fields=["status", "resolved_at", "updated_at"])
            continue
        if name not in base or ours[name] == base[name]:
            origin = DriftOrigin.PANEL
        elif panel[name] == base[name]:
            origin = DriftOrigin.HERE
        else:
            origin = DriftOrigin.BOTH
        values = {"origin": origin, "panel_value": panel[name], "our_value": ours[name], "synced_value": base.get(name)}
        if finding is None:
            DriftFinding.objects.create(
                integration=run.integration, server=server, sync_log=run.log, field=name, **values
            )
            run.drift_findings += 1
            run.changes.append(
                f"server {server.external_id}: {name} drifted ({origin}: {ours[name]} here, {panel[name]} on the panel)"
            )
        elif any(getattr(finding, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(finding, k, v)
            finding.sync_log = run.log
            finding.save()
            run.drift_findings += 1
    if new_base != base:
        server.synced_values = new_base
        server.synced_at = timezone.now()
        return ["synced_values"]
    return []


def _locked_open(finding: DriftFinding) -> DriftFinding:
    locked = (
        DriftFinding.objects.select_for_update(of=("self",)).select_related("server", "integration").get(pk=finding.pk)
    )
    if locked.status != DriftStatus.OPEN:
        raise HostingRefused("This finding is already resolved.", details={"status": locked.status})
    return locked


def _resolve(finding: DriftFinding, *, status: str, by, server: Server, value) -> None:
    server.synced_values = {**(server.synced_values or {}), finding.field: value}
    server.save()
    before = {"status": DriftStatus.OPEN}
    finding.status = status
    finding.resolved_by = by
    finding.resolved_at = timezone.now()
    finding.save(update_fields=["status", "resolved_by", "resolved_at", "updated_at"])
    record_audit(
        actor=by,
        action=f"drift.{status}",
        obj=finding,
        before=before,
        after={"status": status, "field": finding.field, "value": value},
    )


@transaction.atomic
def take_panel_value(*, finding: DriftFinding, by) -> DriftFinding:
    """Make our server say what the panel says for this field."""
    finding = _locked_open(finding)
    server = Server.objects.select_for_update().get(pk=finding.server_id)
    value = finding.panel_value
    name = finding.field
    if name in LIMITS:
        setattr(server, name, int(value))
    elif name == "egg":
        server.egg = _mirror(Egg, finding, value)
    elif name == "node":
        server.node = _mirror(Node, finding, value)
    elif name == "owner":
        owner = PanelUser.objects.filter(integration=finding.integration, external_id=value).first()
        if owner is None or owner.customer_id is None:
            raise HostingRefused(
                f"Panel user {value} is not matched to one of our customers: sync users, or link them first.",
                details={"panel_user": value},
            )
        server.customer_id = owner.customer_id
    elif name == "status":
        server.take_panel_status(ServerStatus.SUSPENDED if value == SUSPENDED else ServerStatus.RUNNING)
    _resolve(finding, status=DriftStatus.TOOK_PANEL, by=by, server=server, value=value)
    return finding


def _mirror(model, finding: DriftFinding, external_id):
    row = model.objects.filter(integration=finding.integration, external_id=external_id).first()
    if row is None:
        raise HostingRefused(
            f"The panel's {finding.field} {external_id} is not synced here yet: sync the panel first.",
            details={"field": finding.field, "value": external_id},
        )
    return row


@transaction.atomic
def push_our_value(*, finding: DriftFinding, by, client=None) -> DriftFinding:
    """Make the panel say what we say for this field, through its API."""
    from games.hosting import lifecycle

    finding = _locked_open(finding)
    server = (
        Server.objects.select_for_update(of=("self",))
        .select_related("egg", "node", "customer__user")
        .get(pk=finding.server_id)
    )
    ours = our_values(server)[finding.field]
    lifecycle.push_field(server=server, field=finding.field, value=ours, client=client)
    _resolve(finding, status=DriftStatus.PUSHED_OURS, by=by, server=server, value=ours)
    return finding
