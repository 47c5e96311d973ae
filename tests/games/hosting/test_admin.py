"""The operator's path through the admin: test, sync, see drift, settle it; lifecycle actions by role."""

import pytest
from django.urls import reverse

from accounts.models import StaffRole
from games.hosting import sync
from games.hosting.models import DriftFinding, DriftStatus, Egg, Location, Server, ServerStatus
from tests.factories.accounts import staff_user
from tests.games.hosting.panel import API_KEY


def _action(client, model, action, objs, **extra):
    url = reverse(f"admin:games_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objs], **extra}, follow=True)


def _messages(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def admin_client(client, db):
    client.force_login(staff_user(StaffRole.ADMIN))
    return client


def test_operator_tests_syncs_sees_drift_and_takes_the_panels_value(admin_client, panel, integration, customers):
    response = _action(admin_client, "integration", "test_connection", [integration])
    assert any("connected" in m and "2 locations" in m for m in _messages(response)), _messages(response)

    response = _action(admin_client, "integration", "sync_now", [integration])
    assert any("sync completed" in m for m in _messages(response)), _messages(response)
    assert Server.objects.filter(integration=integration).count() == 3

    panel.servers[1]["limits"]["memory"] = 3072
    response = _action(admin_client, "integration", "sync_now", [integration])
    assert any("1 drift findings" in m for m in _messages(response)), _messages(response)

    findings_page = admin_client.get(reverse("admin:games_driftfinding_changelist"), {"status__exact": "open"})
    assert findings_page.status_code == 200 and "memory" in findings_page.content.decode()
    log = DriftFinding.objects.get().sync_log
    run_page = admin_client.get(reverse("admin:games_synclog_change", args=[log.pk])).content.decode()
    assert "drift found by this run" in run_page.lower() and "3072" in run_page and API_KEY not in run_page

    finding = DriftFinding.objects.get()
    response = _action(admin_client, "driftfinding", "take_panel_value", [finding])
    assert any("settled with the panel's value" in m for m in _messages(response)), _messages(response)
    assert Server.objects.get(external_id=1).memory == 3072
    assert DriftFinding.objects.get().status == DriftStatus.TOOK_PANEL
    assert not any(r["method"] == "PATCH" for r in panel.requests)


def test_push_ours_sends_our_limits_to_the_panel(admin_client, panel, integration, customers):
    sync.sync_integration(integration=integration)
    panel.servers[2]["limits"]["memory"] = 512
    sync.sync_integration(integration=integration)

    _action(admin_client, "driftfinding", "push_our_value", [DriftFinding.objects.get()])

    (patch,) = [r for r in panel.requests if r["method"] == "PATCH"]
    assert patch["path"] == "/api/application/servers/2/build" and patch["json"]["memory"] == 2048
    assert panel.servers[2]["limits"]["memory"] == 2048
    assert DriftFinding.objects.get().status == DriftStatus.PUSHED_OURS
    sync.sync_integration(integration=integration)
    assert not DriftFinding.objects.filter(status=DriftStatus.OPEN).exists()


def test_admin_creates_suspends_and_terminates_a_server_on_the_panel(admin_client, panel, integration, customers):
    sync.sync_integration(integration=integration)
    alice, _ = customers
    data = {
        "customer": alice.pk,
        "name": "from-admin",
        "egg": Egg.objects.get(external_id=2).pk,
        "location": Location.objects.get(external_id=2).pk,
        "node": "",
        "memory": 2048,
        "swap": 0,
        "disk": 8192,
        "io": 500,
        "cpu": 100,
        "databases_limit": 0,
        "backups_limit": 1,
        "allocations_limit": 1,
    }
    response = admin_client.post(reverse("admin:games_server_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    server = Server.objects.get(name="from-admin")
    (create,) = [r for r in panel.requests if r["method"] == "POST" and r["path"] == "/api/application/servers"]
    assert create["json"]["egg"] == 2 and create["json"]["allocation"] == {"default": 9}  # nyc-1's first
    assert server.status == ServerStatus.INSTALLING

    Server.objects.filter(pk=server.pk).update(status=ServerStatus.RUNNING)
    _action(admin_client, "server", "suspend_servers", [server])
    assert Server.objects.get(pk=server.pk).status == ServerStatus.SUSPENDED
    _action(admin_client, "server", "terminate_servers", [server])
    assert Server.objects.get(pk=server.pk).status == ServerStatus.TERMINATED
    assert [
        r["method"] for r in panel.requests if r["path"].startswith(f"/api/application/servers/{server.external_id}")
    ] == [
        "POST",
        "DELETE",
    ]


def test_lifecycle_actions_are_offered_by_role(client, panel, integration, customers):
    sync.sync_integration(integration=integration)
    url = reverse("admin:games_server_changelist")
    offered = {}
    for role in (StaffRole.ADMIN, StaffRole.SUPPORT, StaffRole.ACCOUNTING):
        client.force_login(staff_user(role))
        response = client.get(url)
        assert response.status_code == 200
        form = response.context["action_form"]  # None when no action is offered at all
        offered[role] = set() if form is None else {name for name, _ in form.fields["action"].choices if name}
    assert {"suspend_servers", "terminate_servers"} <= offered[StaffRole.ADMIN]
    assert "suspend_servers" in offered[StaffRole.SUPPORT] and "terminate_servers" not in offered[StaffRole.SUPPORT]
    assert not offered[StaffRole.ACCOUNTING] & {"suspend_servers", "terminate_servers", "unsuspend_servers"}


def test_support_cannot_terminate_by_posting_the_action(client, panel, integration, customers):
    sync.sync_integration(integration=integration)
    client.force_login(staff_user(StaffRole.SUPPORT))
    server = Server.objects.get(external_id=1)
    _action(client, "server", "terminate_servers", [server])
    assert Server.objects.get(pk=server.pk).status == ServerStatus.RUNNING
    assert not any(r["method"] == "DELETE" for r in panel.requests)


def test_the_api_key_never_reaches_an_admin_page(admin_client, panel, integration, customers):
    integration.api_key = "ptla_wrong_and_secret"
    integration.save()
    _action(admin_client, "integration", "test_connection", [integration])
    for url in (
        reverse("admin:games_integration_change", args=[integration.pk]),
        reverse("admin:games_integration_changelist"),
    ):
        assert "ptla_wrong_and_secret" not in admin_client.get(url).content.decode()
