"""Jobs of the ledger, run by beat through the job runner (nodebyte_platform.jobs)."""

from ledger.services import reconcile_ledger as reconcile_ledger_service
from nodebyte_platform.jobs import JobContext, job


@job("ledger.reconcile_ledger")
def reconcile_ledger(ctx: JobContext) -> dict:
    """Check every invariant of the ledger and record each mismatch as a finding."""
    run = reconcile_ledger_service(trigger=ctx.run.trigger)
    ctx.processed(run.transfers_checked + run.wallets_checked)
    return {"reconciliation_run": run.pk, "status": run.status, "findings": run.findings_count}
