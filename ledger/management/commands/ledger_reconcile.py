from django.core.management.base import BaseCommand

from ledger.models import ReconciliationStatus
from ledger.services import reconcile_ledger


class Command(BaseCommand):
    help = "Check the ledger's invariants now, store the run and its findings; exit 1 when there are findings."

    def add_arguments(self, parser):
        parser.add_argument("--no-fail", action="store_true", help="Exit 0 even when findings were recorded.")

    def handle(self, *args, no_fail=False, **options):
        run = reconcile_ledger(trigger="command")
        self.stdout.write(
            f"run {run.pk}: {run.status}, {run.transfers_checked} transfers and {run.wallets_checked} wallets checked, "
            f"{run.findings_count} findings"
        )
        for finding in run.findings.select_related("asset"):
            self.stdout.write(
                f"  {finding.kind} wallet={finding.wallet_id} transfer={finding.transfer_id} "
                f"asset={finding.asset} expected={finding.expected} actual={finding.actual}"
            )
        if run.status == ReconciliationStatus.FINDINGS and not no_fail:
            raise SystemExit(1)
