import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from games.hosting import lifecycle, sync
from games.hosting.errors import HostingRefused, PanelRejected
from games.hosting.models import Allocation, Egg, Location, PanelUser, PendingAction, Server, ServerStatus
from tests.factories.accounts import AdminStaffFactory, CustomerFactory
from tests.games.hosting.panel import error


@pytest.fixture
def synced(panel, integration, customers):
    sync.sync_integration(integration=integration)
    return integration


def _create(synced, customer, **overrides):
    values = {
        "customer": customer,
        "egg": Egg.objects.get(integration=synced, external_id=1),
        "name": "creative",
        "memory": 4096,
        "disk": 20480,
        "cpu": 200,
        "databases_limit": 1,
        "backups_limit": 3,
        "allocations_limit": 2,
        "location": Location.objects.get(integration=synced, external_id=1),
        "environment": {"BUILD_NUMBER": "412"},
    }
    return lifecycle.create_server(**{**values, **overrides})


def _posted(panel, path):
    return [r for r in panel.requests if r["method"] == "POST" and r["path"] == path]


def test_create_sends_the_exact_body_the_panel_expects(panel, synced, customers):
    alice, _ = customers
    server = _create(synced, alice)

    (request,) = _posted(panel, "/api/application/servers")
    assert request["json"] == {
        "external_id": str(server.uuid),
        "name": "creative",
        "description": "",
        "user": 1,
        "egg": 1,
        "docker_image": "ghcr.io/pterodactyl/yolks:java_17",
        "startup": "java -jar {{SERVER_JARFILE}}",
        "environment": {"SERVER_JARFILE": "server.jar", "BUILD_NUMBER": "412"},
        "limits": {"memory": 4096, "swap": 0, "disk": 20480, "io": 500, "cpu": 200},
        "feature_limits": {"databases": 1, "allocations": 2, "backups": 3},
        "allocation": {"default": 4},  # node 1's first free allocation (1-3 are taken)
        "start_on_completion": True,
    }
    deploy = [r for r in panel.requests if r["path"] == "/api/application/nodes/deployable"][0]
    assert deploy["args"] == {"memory": ["4096"], "disk": ["20480"], "per_page": ["100"], "location_ids[]": ["1"]}
    assert server.status == ServerStatus.INSTALLING and server.pending_action == ""
    assert server.external_id == 101 and server.default_allocation == Allocation.objects.get(external_id=4)
    assert server.last_panel_response["server"]["id"] == 101
    assert AuditEntry.objects.filter(action="server.create").exists()


def test_create_for_a_customer_without_a_panel_account_creates_one(panel, synced):
    carol = CustomerFactory(user__email="carol@example.test", user__username="carol", full_name="Carol Smith")
    _create(synced, carol)

    (request,) = _posted(panel, "/api/application/users")
    assert request["json"] == {
        "email": "carol@example.test",
        "username": "carol",
        "first_name": "Carol",
        "last_name": "Smith",
        "external_id": str(carol.player_id),
    }
    assert (
        PanelUser.objects.get(customer=carol).external_id
        == _posted(panel, "/api/application/servers")[0]["json"]["user"]
    )


def test_panel_down_during_create_leaves_it_pending_and_the_retry_finishes_once(panel, synced, customers, settings):
    settings.PANEL_MAX_RETRIES = 0
    alice, _ = customers
    panel.faults.append(
        ("GET", "/api/application/servers/external/.*", error(503, "HttpException", "Service Unavailable"))
    )
    server = _create(synced, alice)
    assert server.status == ServerStatus.PENDING and server.pending_action == PendingAction.CREATE
    assert server.pending_next_attempt_at > timezone.now() and "(503)" in server.panel_error
    assert not _posted(panel, "/api/application/servers")

    result = lifecycle.retry_pending(now=timezone.now() + timezone.timedelta(minutes=2))

    server = Server.objects.get(pk=server.pk)
    assert result == {"done": 1, "still_pending": 0, "refused": 0}
    assert server.status == ServerStatus.INSTALLING and server.external_id is not None
    assert len(_posted(panel, "/api/application/servers")) == 1


def test_a_retried_create_adopts_what_an_unanswered_attempt_created(panel, synced, customers, settings):
    settings.PANEL_MAX_RETRIES = 0
    alice, _ = customers
    panel.faults.append(("POST", "/api/application/servers", error(504, "HttpException", "Gateway Timeout")))
    server = _create(synced, alice)
    assert server.pending_action == PendingAction.CREATE
    # What the panel did before its gateway timed out: the server exists there, with our uuid.
    panel.add_server(900, name="creative", user=1, node=1, egg=1, allocation=4, external_id=str(server.uuid))

    lifecycle.retry_pending(now=timezone.now() + timezone.timedelta(minutes=2))

    server = Server.objects.get(pk=server.pk)
    assert server.external_id == 900 and server.pending_action == ""
    assert len(_posted(panel, "/api/application/servers")) == 1  # the first, unanswered one only
    assert Server.objects.filter(customer=alice, name="creative").count() == 1


def test_suspend_unsuspend_and_terminate_call_the_panel(panel, synced, customers):
    server = Server.objects.get(integration=synced, external_id=1)
    staff = AdminStaffFactory().user

    lifecycle.suspend_server(server=server, by=staff)
    server = Server.objects.get(pk=server.pk)
    assert server.status == ServerStatus.SUSPENDED and panel.servers[1]["suspended"] is True
    lifecycle.unsuspend_server(server=server, by=staff)
    server = Server.objects.get(pk=server.pk)
    assert server.status == ServerStatus.RUNNING and panel.servers[1]["suspended"] is False

    lifecycle.terminate_server(server=server, by=staff)

    server = Server.objects.get(pk=server.pk)
    assert server.status == ServerStatus.TERMINATED and 1 not in panel.servers
    assert not Allocation.objects.filter(server=server).exists()
    calls = [(r["method"], r["path"], r["json"]) for r in panel.requests if r["method"] != "GET"]
    assert calls == [
        ("POST", "/api/application/servers/1/suspend", None),
        ("POST", "/api/application/servers/1/unsuspend", None),
        ("DELETE", "/api/application/servers/1", None),
    ]
    assert AuditEntry.objects.filter(actor=staff, action__startswith="server.").count() == 3


def test_change_build_sends_every_limit(panel, synced):
    server = Server.objects.get(integration=synced, external_id=2)

    lifecycle.change_build(server=server, memory=8192, backups_limit=5)

    (request,) = [r for r in panel.requests if r["method"] == "PATCH"]
    assert request["path"] == "/api/application/servers/2/build"
    assert request["json"] == {
        "allocation": 2,
        "memory": 8192,
        "swap": 0,
        "disk": 10240,
        "io": 500,
        "cpu": 200,
        "threads": None,
        "feature_limits": {"databases": 1, "allocations": 1, "backups": 5},
    }
    server = Server.objects.get(pk=server.pk)
    assert (server.memory, server.backups_limit) == (8192, 5)


def test_a_panel_refusal_is_recorded_and_raised(panel, synced, customers):
    alice, _ = customers
    panel.faults.append(
        (
            "POST",
            "/api/application/servers",
            error(422, "ValidationException", "The selected egg is invalid."),
        )
    )
    with pytest.raises(PanelRejected) as refused:
        _create(synced, alice)
    assert refused.value.errors == [
        {"code": "ValidationException", "status": "422", "detail": "The selected egg is invalid."}
    ]
    server = Server.objects.get(name="creative")
    assert server.status == ServerStatus.PENDING and server.pending_action == ""
    assert "The selected egg is invalid." in server.panel_error


def test_suspend_while_the_panel_is_down_is_retried(panel, synced, settings):
    settings.PANEL_MAX_RETRIES = 0
    server = Server.objects.get(integration=synced, external_id=1)
    panel.faults.append(("POST", "/api/application/servers/1/suspend", error(502, "HttpException", "Bad Gateway")))

    lifecycle.suspend_server(server=server)
    server = Server.objects.get(pk=server.pk)
    assert server.status == ServerStatus.RUNNING and server.pending_action == PendingAction.SUSPEND

    lifecycle.retry_pending(now=timezone.now() + timezone.timedelta(minutes=2))
    server = Server.objects.get(pk=server.pk)
    assert server.status == ServerStatus.SUSPENDED and server.pending_action == ""


def test_no_free_allocation_is_a_clear_refusal(panel, synced, customers):
    for allocation in panel.allocations.values():
        allocation["server"] = allocation["server"] or 999
    alice, _ = customers
    with pytest.raises(HostingRefused, match="no free allocation"):
        _create(synced, alice, location=Location.objects.get(external_id=2))
