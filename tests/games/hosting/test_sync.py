from django.db import connection
from django.test.utils import CaptureQueriesContext

from games.hosting import sync
from games.hosting.models import (
    Allocation,
    DriftFinding,
    Egg,
    EggVariable,
    IntegrationStatus,
    Location,
    Node,
    PanelUser,
    Server,
    ServerStatus,
    ServerVariable,
    SyncStatus,
)
from tests.games.hosting.panel import error


def test_full_sync_mirrors_every_page_and_logs_counts(panel, integration, customers):
    log = sync.sync_integration(integration=integration)

    assert log.status == SyncStatus.COMPLETED, log.error_message
    assert Location.objects.filter(integration=integration).count() == 2
    assert Node.objects.filter(integration=integration).count() == 3  # 2 pages of 2
    assert Allocation.objects.filter(integration=integration).count() == 12
    assert Egg.objects.filter(integration=integration).count() == 2
    assert EggVariable.objects.filter(integration=integration).count() == 3
    assert Server.objects.filter(integration=integration).count() == 3
    alice, bob = customers
    assert set(PanelUser.objects.values_list("external_id", "customer")) == {(1, alice.pk), (2, bob.pk)}
    server = Server.objects.get(external_id=1)
    assert (server.customer, server.node.external_id, server.memory, server.status) == (
        bob,
        1,
        2048,
        ServerStatus.RUNNING,
    )
    assert server.default_allocation.port == 25565 and server.default_allocation.server == server
    assert ServerVariable.objects.filter(server=server).count() == 2
    entities = log.metadata["entities"]
    assert entities["nodes"]["created"] == 3 and entities["servers"]["created"] == 3
    assert log.records_synced == log.records_total == sum(e["total"] for e in entities.values())
    pages = [r for r in panel.requests if r["path"] == "/api/application/nodes"]
    assert [r["args"]["page"] for r in pages] == [["1"], ["2"]]
    assert all(
        r["authorization"] == "Bearer " + integration.api_key and r["accept"] == "application/json"
        for r in panel.requests
    )
    integration.refresh_from_db()
    assert integration.last_sync_at is not None and integration.status == IntegrationStatus.ACTIVE


def test_resync_changes_nothing(panel, integration, customers):
    sync.sync_integration(integration=integration)
    before = {s.pk: (s.updated_at, s.synced_values) for s in Server.objects.all()}

    log = sync.sync_integration(integration=integration)

    assert log.status == SyncStatus.COMPLETED
    assert all(e["created"] == 0 and e["updated"] == 0 for e in log.metadata["entities"].values()), log.metadata
    assert {s.pk: (s.updated_at, s.synced_values) for s in Server.objects.all()} == before
    assert not DriftFinding.objects.exists()


def test_memory_changed_on_the_panel_becomes_a_drift_finding(panel, integration, customers):
    sync.sync_integration(integration=integration)
    panel.servers[2]["limits"]["memory"] = 4096

    log = sync.sync_integration(integration=integration)

    finding = DriftFinding.objects.get()
    assert (finding.field, finding.origin, finding.panel_value, finding.our_value) == ("memory", "panel", 4096, 2048)
    assert finding.sync_log == log and log.metadata["drift_findings"] == 1
    assert Server.objects.get(external_id=2).memory == 2048  # ours is kept until staff decide
    sync.sync_integration(integration=integration)
    assert DriftFinding.objects.count() == 1  # the same finding, not a second one


def test_changed_here_and_on_both_sides_are_told_apart(panel, integration, customers):
    sync.sync_integration(integration=integration)
    Server.objects.filter(external_id=1).update(disk=20480)
    Server.objects.filter(external_id=2).update(cpu=300)
    panel.servers[2]["limits"]["cpu"] = 400

    sync.sync_integration(integration=integration)

    origins = {(f.server.external_id, f.field): f.origin for f in DriftFinding.objects.select_related("server")}
    assert origins == {(1, "disk"): "here", (2, "cpu"): "both"}


def test_a_429_then_success_waits_what_retry_after_asks(panel, integration, customers, recorded_waits):
    panel.faults.append(
        (
            "GET",
            "/api/application/locations",
            error(429, "TooManyRequestsHttpException", "Too Many Attempts.", {"Retry-After": "7"}),
        )
    )

    log = sync.sync_integration(integration=integration, entities=["locations"])

    assert log.status == SyncStatus.COMPLETED
    assert 7.0 in recorded_waits
    assert Location.objects.count() == 2


def test_a_500_mid_sync_fails_the_run_and_keeps_what_synced(panel, integration, customers, settings):
    settings.PANEL_MAX_RETRIES = 1
    for _ in range(2):  # the first try and its one retry
        panel.faults.append(("GET", "/api/application/servers", error(500, "HttpException", "Server Error")))

    log = sync.sync_integration(integration=integration)

    assert log.status == SyncStatus.FAILED
    assert log.error_message.startswith("servers:") and "(500)" in log.error_message
    assert Node.objects.count() == 3 and Egg.objects.count() == 2  # synced before the failure
    assert not Server.objects.exists()
    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.ERROR and integration.last_sync_at is None


def test_a_failing_second_page_keeps_the_first(panel, integration, customers, settings):
    settings.PANEL_MAX_RETRIES = 1
    panel.failing_pages.add(("/api/application/servers", "2"))

    log = sync.sync_integration(integration=integration)

    assert log.status == SyncStatus.FAILED and "(503)" in log.error_message
    assert Server.objects.count() == 2  # page 1 (per page 2) committed
    assert log.metadata["entities"]["servers"]["created"] == 2


def test_a_401_fails_with_the_panels_error_and_never_shows_the_key(panel, integration):
    integration.api_key = "ptla_wrong_key_that_must_not_leak"
    integration.save()

    log = sync.sync_integration(integration=integration)

    assert log.status == SyncStatus.FAILED
    assert "(401): Unauthenticated." in log.error_message
    assert "ptla_wrong" not in log.error_message and "ptla_wrong" not in str(log.metadata)
    assert not Location.objects.exists()


def test_rows_gone_from_the_panel_are_marked_not_deleted(panel, integration, customers):
    sync.sync_integration(integration=integration)
    del panel.servers[3]
    panel.allocations[3]["server"] = None

    sync.sync_integration(integration=integration)

    gone = Server.objects.get(external_id=3)
    assert gone.removed_on_panel_at is not None
    assert Server.objects.filter(removed_on_panel_at__isnull=True).count() == 2


def test_a_dry_run_writes_nothing_and_says_what_would_change(panel, integration, customers):
    log = sync.sync_integration(integration=integration, dry_run=True)

    assert not Server.objects.exists() and not Location.objects.exists()
    assert any(c.startswith("new server") for c in log.metadata["changes"])


def test_sync_queries_stay_flat_as_servers_grow(panel, integration, customers):
    sync.sync_integration(integration=integration)
    with CaptureQueriesContext(connection) as few:
        sync.sync_integration(integration=integration, entities=["servers"])
    for i in range(10, 16):
        panel.add_server(i, name=f"more-{i}", user=1, node=2, egg=2, allocation=i - 5)
    sync.sync_integration(integration=integration, entities=["servers"])
    with CaptureQueriesContext(connection) as many:
        sync.sync_integration(integration=integration, entities=["servers"])
    per_server_few = len(few) / 3
    assert len(many) <= per_server_few * 9 + 10
