"""Celery wrappers of ledger jobs."""

from celery import shared_task

from ledger.services import reconcile_ledger as reconcile_ledger_service


# The name nodebyte_platform/schedule.py's beat entry points at.
@shared_task(name="ledger.tasks.reconcile_ledger")
def reconcile_ledger() -> dict:
    """Nightly: check the ledger's invariants and record the run and its findings."""
    run = reconcile_ledger_service(trigger="beat")
    return {"run": run.pk, "status": run.status, "findings": run.findings_count}
