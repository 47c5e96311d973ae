"""Reconciliation: check the ledger's invariants and record every mismatch as a finding.

1. Per transfer and asset, postings sum to zero.
2. For a wallet that tracks its balance: stored balance = SUM(postings) = last posting's balance_after.
3. No wallet without `allow_negative` is below zero (stored balance, or sum of postings for hot wallets).

Each check is one SQL statement, so it reads one consistent snapshot even while transfers post.

A run's row says "running" while it works. A worker killed mid-run (OOM, a deploy, the hard
time limit) never finishes its row, so each run first closes the runs whose worker is gone as
failed: a live run keeps its own row locked until it finishes, and on PostgreSQL a "running"
row that nobody holds belongs to a dead worker. SQLite has no row locks; there a "running" row
older than the task's hard time limit counts as abandoned.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ledger.errors import InvalidState
from ledger.models import (
    AMOUNT,
    FindingKind,
    Posting,
    ReconciliationFinding,
    ReconciliationRun,
    ReconciliationStatus,
    Transfer,
    Wallet,
    amount_sum,
)

logger = logging.getLogger(__name__)
ZERO = Value(0, output_field=DecimalField(**AMOUNT))


def _unbalanced_transfers():
    return (
        Posting.objects.values("transfer_id", "wallet__asset_id")
        .annotate(total=amount_sum())
        .exclude(total=0)
        .order_by("transfer_id")
    )


def _wallets_with_sums():
    posted = (
        Posting.objects.filter(wallet=OuterRef("pk"))
        .order_by()
        .values("wallet")
        .annotate(total=amount_sum())
        .values("total")
    )
    last_after = Posting.objects.filter(wallet=OuterRef("pk")).order_by("-id").values("balance_after")[:1]
    return Wallet.objects.annotate(
        posted=Coalesce(Subquery(posted, output_field=DecimalField(**AMOUNT)), ZERO),
        last_after=Subquery(last_after, output_field=DecimalField(**AMOUNT)),
    )


def _findings(run: ReconciliationRun) -> list[ReconciliationFinding]:
    findings = []
    for row in _unbalanced_transfers():
        findings.append(
            ReconciliationFinding(
                run=run,
                kind=FindingKind.UNBALANCED_TRANSFER,
                transfer_id=row["transfer_id"],
                asset_id=row["wallet__asset_id"],
                expected=0,
                actual=row["total"],
            )
        )
    tracked = (
        _wallets_with_sums()
        .filter(tracks_balance=True)
        .filter(
            ~Q(balance=F("posted"))
            | (Q(posted__lt=0) & Q(allow_negative=False))
            | Q(balance__lt=0, allow_negative=False)
            | (Q(last_after__isnull=False) & ~Q(last_after=F("balance")))
        )
    )
    for wallet in tracked:
        if wallet.balance != wallet.posted:
            findings.append(_wallet_finding(run, wallet, FindingKind.BALANCE_MISMATCH, wallet.posted, wallet.balance))
        if wallet.last_after is not None and wallet.last_after != wallet.balance:
            findings.append(
                _wallet_finding(run, wallet, FindingKind.LAST_BALANCE_AFTER, wallet.last_after, wallet.balance)
            )
        if not wallet.allow_negative and min(wallet.balance, wallet.posted) < 0:
            findings.append(
                _wallet_finding(run, wallet, FindingKind.NEGATIVE_BALANCE, 0, min(wallet.balance, wallet.posted))
            )
    hot = _wallets_with_sums().filter(tracks_balance=False, allow_negative=False, posted__lt=0)
    for wallet in hot:
        findings.append(_wallet_finding(run, wallet, FindingKind.NEGATIVE_BALANCE, 0, wallet.posted))
    return findings


def _wallet_finding(run, wallet, kind, expected, actual) -> ReconciliationFinding:
    return ReconciliationFinding(
        run=run, kind=kind, wallet_id=wallet.pk, asset_id=wallet.asset_id, expected=expected, actual=actual
    )


# A run's row is committed as "running" a moment before its worker locks it; a run this young is
# never taken for abandoned, so that a concurrent run does not close it in that moment.
ABANDONED_AFTER = timedelta(minutes=1)


def _close_abandoned_runs(*, now) -> int:
    """Mark as failed the "running" runs whose worker is gone; return how many."""
    with transaction.atomic():
        stale = ReconciliationRun.objects.filter(status=ReconciliationStatus.RUNNING)
        if connection.features.has_select_for_update_skip_locked:
            # A live run holds its row (see reconcile_ledger): skip_locked leaves it out.
            stale = stale.filter(started_at__lt=now - ABANDONED_AFTER).select_for_update(skip_locked=True)
            reason = "abandoned: its worker stopped before the run finished"
        else:
            limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
            stale = stale.filter(started_at__lt=now - max(limit, ABANDONED_AFTER))
            reason = f"abandoned: still running after the task's time limit ({int(limit.total_seconds())} s)"
        abandoned = list(stale.values_list("pk", flat=True))
        ReconciliationRun.objects.filter(pk__in=abandoned).update(
            status=ReconciliationStatus.FAILED, finished_at=now, error=reason
        )
    for pk in abandoned:
        logger.error("ledger reconciliation %s was abandoned by its worker; closed as failed", pk)
    return len(abandoned)


def reconcile_ledger(*, trigger: str = "manual") -> ReconciliationRun:
    """Check every invariant once and store the run with its findings (safe to run twice at once).

    Runs left "running" by a worker that died are closed as failed first.
    """
    _close_abandoned_runs(now=timezone.now())
    run = ReconciliationRun.objects.create(started_at=timezone.now(), trigger=trigger)
    try:
        with transaction.atomic():
            # Held until the run is stored: tells the next run that this one is alive.
            ReconciliationRun.objects.select_for_update().values_list("pk", flat=True).get(pk=run.pk)
            findings = _findings(run)
            ReconciliationFinding.objects.bulk_create(findings)
            run.transfers_checked = Transfer.objects.count()
            run.wallets_checked = Wallet.objects.count()
            run.findings_count = len(findings)
            run.status = ReconciliationStatus.FINDINGS if findings else ReconciliationStatus.CLEAN
            run.finished_at = timezone.now()
            run.save()
    except Exception as exc:
        logger.exception("ledger reconciliation %s failed", run.pk)
        ReconciliationRun.objects.filter(pk=run.pk).update(
            status=ReconciliationStatus.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        raise
    if findings:
        logger.error("ledger reconciliation %s: %d findings", run.pk, len(findings))
    return run


def resolve_finding(*, finding: ReconciliationFinding, by, note: str) -> ReconciliationFinding:
    """Mark a finding explained (the fix itself is a reversal or an adjustment)."""
    if not (note or "").strip():
        raise InvalidState("Resolving a finding needs a note saying how it was explained or fixed.")
    with transaction.atomic():
        finding = ReconciliationFinding.objects.select_for_update().get(pk=finding.pk)
        if finding.resolved:
            raise InvalidState("This finding is already resolved.")
        finding.resolved = True
        finding.resolved_by = by
        finding.resolved_at = timezone.now()
        finding.resolution_note = note.strip()
        finding.save(update_fields=["resolved", "resolved_by", "resolved_at", "resolution_note"])
        return finding
