from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from games.hosting import lifecycle, sync
from games.hosting.models import Location, PendingAction, Server, ServerStatus, SyncLog
from nodebyte_platform.jobs import run_job
from nodebyte_platform.models import JobRunStatus
from tests.games.hosting.panel import error


def test_panel_sync_dry_run_prints_the_changes_and_writes_nothing(panel, integration, customers):
    out = StringIO()
    call_command("panel_sync", str(integration.pk), "--dry-run", stdout=out)

    text = out.getvalue()
    assert "would: new server 1: survival-1" in text and "dry run, nothing written" in text
    assert not Location.objects.exists() and not SyncLog.objects.exists()


def test_panel_sync_one_entity(panel, integration):
    out = StringIO()
    call_command("panel_sync", str(integration.pk), "--entity", "locations", stdout=out)
    assert "locations: 2 new" in out.getvalue()
    assert SyncLog.objects.get().sync_type == "locations"


def test_panel_sync_reports_a_failure_as_an_error(panel, integration):
    integration.api_key = "wrong"
    integration.save()
    with pytest.raises(CommandError, match="Unauthenticated"):
        call_command("panel_sync", str(integration.pk), stdout=StringIO())


def test_the_sync_job_syncs_panels_when_their_interval_has_passed(panel, integration, customers):
    run = run_job("games.sync_panels")
    assert run.status == JobRunStatus.SUCCEEDED and run.summary["completed"] == 1
    assert run_job("games.sync_panels").summary["completed"] == 0  # not due again yet
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert run_job("games.sync_panels").summary["completed"] == 1
    assert SyncLog.objects.count() == 2


def test_one_sync_per_panel_at_a_time(panel, integration):
    cache.add(f"hosting:sync:{integration.pk}", "1", 60)  # another worker's sync holds the lock
    try:
        with pytest.raises(sync.SyncInProgress):
            sync.sync_integration(integration=integration)
        assert run_job("games.sync_panels").summary["already_running"] == 1
    finally:
        cache.delete(f"hosting:sync:{integration.pk}")
    assert not SyncLog.objects.exists()


def test_the_retry_job_finishes_a_suspend_the_panel_missed(panel, integration, customers, settings):
    settings.PANEL_MAX_RETRIES = 0
    sync.sync_integration(integration=integration)
    server = Server.objects.get(external_id=1)
    panel.faults.append(("POST", "/api/application/servers/1/suspend", error(503, "HttpException", "Unavailable")))
    lifecycle.suspend_server(server=server)
    assert Server.objects.get(pk=server.pk).pending_action == PendingAction.SUSPEND

    assert run_job("games.retry_pending_server_actions").summary == {"done": 0, "still_pending": 0, "refused": 0}
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        run = run_job("games.retry_pending_server_actions")
    assert run.summary["done"] == 1
    assert Server.objects.get(pk=server.pk).status == ServerStatus.SUSPENDED
