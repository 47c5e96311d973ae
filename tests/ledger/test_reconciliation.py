import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import FindingKind, ReconciliationRun, ReconciliationStatus
from ledger.services import gift, reconcile_ledger, resolve_finding, user_wallet
from ledger.tasks import reconcile_ledger as reconcile_task
from nodebyte_platform.models import JobRun, JobRunStatus
from tests.factories.accounts import staff_user

pytestmark = pytest.mark.django_db


def test_clean_ledger_reports_no_findings(funded, coin):
    alice, bob = funded(), funded("0")
    gift(sender=alice, receiver=bob, asset=coin, amount="12.34", idempotency_key="g")
    run = reconcile_ledger()
    assert run.status == ReconciliationStatus.CLEAN and run.findings_count == 0
    assert run.transfers_checked == 2 and run.wallets_checked >= 2 and run.finished_at


def test_balance_tampered_through_raw_sql_is_found(funded, coin, force_balance):
    alice = funded("100.00")
    wallet = user_wallet(user=alice, asset=coin)
    force_balance(wallet, "107.00")
    run = reconcile_ledger(trigger="test")
    assert run.status == ReconciliationStatus.FINDINGS
    kinds = {(f.kind, f.wallet_id, f.expected, f.actual) for f in run.findings.all()}
    assert (FindingKind.BALANCE_MISMATCH, wallet.pk, Decimal("100.00"), Decimal("107.00")) in kinds
    assert (FindingKind.LAST_BALANCE_AFTER, wallet.pk, Decimal("100.00"), Decimal("107.00")) in kinds
    assert run.findings_count == 2

    finding = run.findings.first()
    resolved = resolve_finding(finding=finding, by=staff_user("accounting"), note="restored from backup")
    assert resolved.resolved and resolved.resolved_by is not None


def test_forbidden_negative_on_a_hot_wallet_is_found(funded, coin):
    """Hot wallets keep no balance, so nothing stops one without allow_negative going below zero
    at posting time; the reconciliation is what catches it."""
    from ledger.models import TransferKind, Wallet
    from ledger.services import Leg, post_transfer

    hot = Wallet.objects.create(system_code="test-hot", asset=coin, tracks_balance=False, allow_negative=False)
    alice = funded("0")
    post_transfer(
        kind=TransferKind.ADJUSTMENT,
        legs=[Leg(hot, Decimal("-3.00")), Leg(user_wallet(user=alice, asset=coin), Decimal("3.00"))],
        initiator="system:test",
    )
    run = reconcile_ledger()
    finding = run.findings.get()
    assert (finding.kind, finding.wallet_id, finding.actual) == (FindingKind.NEGATIVE_BALANCE, hot.pk, Decimal("-3"))


def test_command_and_task_record_runs(funded, coin, capsys, force_balance):
    funded("1.00")
    call_command("ledger_reconcile")
    assert "clean" in capsys.readouterr().out
    result = reconcile_task.apply().get()
    job_run = JobRun.objects.get(pk=result["run"])
    assert job_run.status == JobRunStatus.SUCCEEDED and job_run.summary["status"] == ReconciliationStatus.CLEAN
    assert ReconciliationRun.objects.filter(trigger="beat").exists()
    force_balance(user_wallet(user=funded("2.00"), asset=coin), "0")
    with pytest.raises(SystemExit):
        call_command("ledger_reconcile")
    call_command("ledger_reconcile", "--no-fail")


def _left_running(*, minutes_ago: int) -> ReconciliationRun:
    """The row a run writes as it starts, as a worker killed mid-run leaves it."""
    return ReconciliationRun.objects.create(started_at=timezone.now() - timedelta(minutes=minutes_ago), trigger="beat")


def test_run_left_running_by_a_killed_worker_is_closed_as_failed_by_the_next(settings):
    settings.CELERY_TASK_TIME_LIMIT = 300
    dead = _left_running(minutes_ago=10)
    run = reconcile_ledger(trigger="test")
    dead.refresh_from_db()
    assert dead.status == ReconciliationStatus.FAILED
    assert dead.finished_at is not None and dead.error.startswith("abandoned")
    assert run.status == ReconciliationStatus.CLEAN


def test_a_run_that_just_started_is_not_taken_for_abandoned():
    """Its row is committed a moment before its worker locks it."""
    starting = _left_running(minutes_ago=0)
    reconcile_ledger(trigger="test")
    starting.refresh_from_db()
    assert starting.status == ReconciliationStatus.RUNNING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_live_run_is_not_closed_by_a_concurrent_one():
    """A live run holds its row locked; another run started meanwhile leaves it alone, however
    long it has been running (real threads, their own connections)."""
    live = _left_running(minutes_ago=30)
    holding, release = threading.Event(), threading.Event()

    def hold_like_a_live_run():
        try:
            with transaction.atomic():
                ReconciliationRun.objects.select_for_update().get(pk=live.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        worker = pool.submit(hold_like_a_live_run)
        assert holding.wait(timeout=30)
        try:
            reconcile_ledger(trigger="test")
            live.refresh_from_db()
            assert live.status == ReconciliationStatus.RUNNING
        finally:
            release.set()
        worker.result()
    reconcile_ledger(trigger="test")  # the holder is gone now, as a killed worker's would be
    live.refresh_from_db()
    assert live.status == ReconciliationStatus.FAILED
