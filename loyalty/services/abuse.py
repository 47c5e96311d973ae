"""Abuse detectors (the `loyalty.detect_abuse` job): each finds players by a query and raises an
AbuseSignal with its evidence. One signal per player, type and piece of evidence (`metadata.key`),
resolved or not, so a run twice raises nothing twice and a resolved case is not raised again.

While a player has unresolved signals at or above Config LOYALTY_HOLD_SEVERITY, new rewards wait
in the review queue (loyalty.services.grants); resolving signals releases nothing by itself.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from constance import config
from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import Customer
from games.models import Bet
from ledger.models import Posting, TransferKind
from loyalty.models import AbuseSignal, CurrencyType, PlayerMetrics, RewardGrant, RewardStatus
from loyalty.services.grants import record_abuse_signal
from loyalty.services.metrics import DEPOSIT_KINDS

LOOKBACK = timedelta(days=7)
SEVERITY = {"bonus_hunting": 7, "max_bet_breach": 6, "referral_ring": 5, "abnormal_win_ratio": 5}


def _raise(*, customer_id: int, signal_type: str, key: str, description: str, evidence: dict) -> bool:
    if AbuseSignal.objects.filter(customer_id=customer_id, signal_type=signal_type, metadata__key=key).exists():
        return False
    record_abuse_signal(
        customer=Customer.objects.get(pk=customer_id),
        signal_type=signal_type,
        severity=SEVERITY[signal_type],
        description=description,
        metadata={"key": key, **evidence},
    )
    return True


def _bonus_hunting(now: datetime) -> int:
    """A deposit, then a bonus, then a withdrawal within N hours, with under a tenth of the wagering done."""
    hours = timedelta(hours=int(config.LOYALTY_BONUS_HUNT_HOURS))
    raised = 0
    grants = RewardGrant.objects.filter(
        currency_type=CurrencyType.BONUS, issued_at__gte=now - LOOKBACK, issued_at__isnull=False
    ).select_related("customer")
    for grant in grants.order_by("pk"):
        if grant.wagering_required and grant.wagering_completed * 10 >= grant.wagering_required:
            continue
        user_id = grant.customer.user_id
        deposit = (
            Posting.objects.filter(
                wallet__owner_id=user_id,
                amount__gt=0,
                transfer__kind__in=DEPOSIT_KINDS,
                created_at__gte=grant.issued_at - hours,
                created_at__lte=grant.issued_at,
            )
            .values_list("transfer__public_id", flat=True)
            .first()
        )
        withdrawal = (
            Posting.objects.filter(
                wallet__owner_id=user_id,
                amount__lt=0,
                transfer__kind=TransferKind.WITHDRAWAL,
                created_at__gte=grant.issued_at,
                created_at__lte=grant.issued_at + hours,
            )
            .values_list("transfer__public_id", flat=True)
            .first()
        )
        if deposit is None or withdrawal is None:
            continue
        raised += _raise(
            customer_id=grant.customer_id,
            signal_type="bonus_hunting",
            key=f"grant:{grant.public_id}",
            description="Deposit, bonus and withdrawal request within hours, with little wagering",
            evidence={
                "grant": str(grant.public_id),
                "deposit_transfer": str(deposit),
                "withdrawal_transfer": str(withdrawal),
                "wagering_completed": str(grant.wagering_completed),
                "wagering_required": str(grant.wagering_required),
            },
        )
    return raised


def _max_bet_breaches(now: datetime) -> int:
    raised = 0
    grants = RewardGrant.objects.filter(
        status__in=[RewardStatus.ACTIVE, RewardStatus.COMPLETED, RewardStatus.EXPIRED],
        max_bet__isnull=False,
        issued_at__gte=now - LOOKBACK,
    )
    for grant in grants.order_by("pk"):
        until = grant.completed_at or grant.expires_at or now
        breaches = Bet.objects.filter(
            session__customer_id=grant.customer_id,
            placed_at__gte=grant.issued_at,
            placed_at__lte=until,
            amount__gt=grant.max_bet,
        ).aggregate(n=Count("pk"), largest=Max("amount"))
        if not breaches["n"]:
            continue
        raised += _raise(
            customer_id=grant.customer_id,
            signal_type="max_bet_breach",
            key=f"grant:{grant.public_id}",
            description=f"{breaches['n']} bet(s) above the bonus's max bet of {grant.max_bet}",
            evidence={"grant": str(grant.public_id), "bets": breaches["n"], "largest": str(breaches["largest"])},
        )
    return raised


def _referral_rings() -> int:
    minimum = int(config.LOYALTY_REFERRAL_RING_MIN)
    raised = 0
    inviters = Customer.objects.annotate(n=Count("invitees")).filter(n__gte=minimum).order_by("pk")
    for inviter in inviters:
        invitees = [str(p) for p in inviter.invitees.order_by("pk").values_list("player_id", flat=True)[:20]]
        raised += _raise(
            customer_id=inviter.pk,
            signal_type="referral_ring",
            key=f"invitees:{inviter.n // minimum}",
            description=f"{inviter.n} accounts registered through this player's referral code",
            evidence={"invitees": inviter.n, "first_invitees": invitees},
        )
    return raised


def _abnormal_win_ratio() -> int:
    ratio = Decimal(str(config.LOYALTY_WIN_RATIO_MAX))
    bets = int(config.LOYALTY_WIN_RATIO_MIN_BETS)
    raised = 0
    rows = PlayerMetrics.objects.filter(total_bets__gte=bets, win_loss_ratio__gt=ratio).order_by("customer_id")
    for row in rows.values("customer_id", "win_loss_ratio", "total_bets"):
        raised += _raise(
            customer_id=row["customer_id"],
            signal_type="abnormal_win_ratio",
            key=f"ratio-over:{ratio}",
            description=f"Win/loss ratio {row['win_loss_ratio']} over {row['total_bets']} bets",
            evidence={"win_loss_ratio": str(row["win_loss_ratio"]), "bets": row["total_bets"]},
        )
    return raised


def detect_abuse(*, now: datetime | None = None, progress=None) -> dict:
    now = now or timezone.now()
    found = {
        "bonus_hunting": _bonus_hunting(now),
        "max_bet_breach": _max_bet_breaches(now),
        "referral_ring": _referral_rings(),
        "abnormal_win_ratio": _abnormal_win_ratio(),
    }
    if progress is not None:
        progress.processed(sum(found.values()))
    return found
