"""Segments and tiers: where each player stands, recomputed from metrics and LP earned.

Segments come from metrics by thresholds staff edit in Config (one UPDATE for every player).
Tiers come from LP *earned* in a rolling window (Config LOYALTY_TIER_WINDOW_DAYS), never the
spendable balance: positive LP postings of kinds reward and adjustment. Going up is immediate;
going down follows Config LOYALTY_TIER_DOWNGRADE: `never`, `automatic`, or `after_days` (the
player is told when they fall below, `tier_downgrade_pending`, and moves down only after
LOYALTY_TIER_DOWNGRADE_DAYS still below). Every change is a TierChange row and a `tier_changed`
event, in the same transaction.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from constance import config
from django.db import connection, transaction
from django.db.models import Case, DecimalField, F, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from ledger.models import AMOUNT, Posting, TransferKind
from loyalty.models import PlayerMetrics, PlayerProfile, Segment, Tier, TierChange, TierLevel
from loyalty.signals import tier_changed, tier_downgrade_pending

ORDER = {level: i for i, level in enumerate(TierLevel.values)}
EARNED_KINDS = (TransferKind.REWARD, TransferKind.ADJUSTMENT)
DOWNGRADE_POLICIES = ("never", "automatic", "after_days")


@transaction.atomic
def recompute_segments() -> int:
    """Give every player with metrics the segment its metrics say (thresholds from Config)."""
    profile = PlayerProfile._meta.db_table
    metrics = PlayerMetrics._meta.db_table
    params = [
        Decimal(str(config.LOYALTY_SEGMENT_VIP_DEPOSIT_MIN)),
        Segment.VIP,
        int(config.LOYALTY_SEGMENT_NEW_MAX_BETS),
        Segment.NEW,
        Decimal(str(config.LOYALTY_SEGMENT_WINNING_PNL_MIN)),
        Segment.WINNING,
        -Decimal(str(config.LOYALTY_SEGMENT_LOSING_LOSS_MIN)),
        Segment.LOSING,
        Segment.BREAKEVEN,
    ]
    sql = f"""
        UPDATE {profile} SET segment = (
            SELECT CASE
                WHEN m.total_deposited >= %s THEN %s
                WHEN m.total_bets < %s THEN %s
                WHEN m.net_pnl >= %s THEN %s
                WHEN m.net_pnl <= %s THEN %s
                ELSE %s END
            FROM {metrics} m WHERE m.customer_id = {profile}.customer_id
        )
        WHERE EXISTS (SELECT 1 FROM {metrics} m WHERE m.customer_id = {profile}.customer_id)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def segment_for(metrics: dict) -> str:
    """The segment these metric columns give: the same rules as `recompute_segments`, in Python."""
    if Decimal(metrics["total_deposited"]) >= Decimal(str(config.LOYALTY_SEGMENT_VIP_DEPOSIT_MIN)):
        return Segment.VIP
    if metrics["total_bets"] < int(config.LOYALTY_SEGMENT_NEW_MAX_BETS):
        return Segment.NEW
    if Decimal(metrics["net_pnl"]) >= Decimal(str(config.LOYALTY_SEGMENT_WINNING_PNL_MIN)):
        return Segment.WINNING
    if Decimal(metrics["net_pnl"]) <= -Decimal(str(config.LOYALTY_SEGMENT_LOSING_LOSS_MIN)):
        return Segment.LOSING
    return Segment.BREAKEVEN


def lp_earned_subquery(*, since: datetime):
    """LP a profile's player earned since `since` (a subquery on PlayerProfile)."""
    earned = (
        Posting.objects.filter(
            wallet__owner_id=OuterRef("customer__user_id"),
            wallet__asset__code="LP",
            amount__gt=0,
            transfer__kind__in=EARNED_KINDS,
            created_at__gte=since,
        )
        .values("wallet__owner_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(earned, output_field=DecimalField(**AMOUNT)), Value(Decimal(0)))


def tier_for(earned: Decimal, tiers: list[Tier]) -> str:
    level = tiers[0].tier_level
    for tier in tiers:
        if earned >= tier.lp_min:
            level = tier.tier_level
    return level


def _target_case(tiers: list[Tier]):
    whens = [When(lp_earned__gte=t.lp_min, then=Value(t.tier_level)) for t in reversed(tiers)]
    return Case(*whens, default=Value(tiers[0].tier_level))


def _change(profile: PlayerProfile, *, new: str, earned: Decimal, reason: str, now: datetime) -> TierChange:
    change = TierChange.objects.create(
        customer_id=profile.customer_id,
        old_tier=profile.tier,
        new_tier=new,
        reason=reason,
        lp_earned=earned,
        changed_at=now,
    )
    old = profile.tier
    profile.tier = new
    profile.below_tier_since = None
    profile.save(update_fields=["tier", "below_tier_since", "updated_at"])
    tier_changed.emit(
        key=f"tier:{profile.customer_id}:{change.pk}", customer_id=profile.customer_id, old=old, new=new, reason=reason
    )
    return change


def recompute_tiers(*, now: datetime | None = None, progress=None) -> dict:
    """Move players between tiers by LP earned in the window and the downgrade policy.

    One query finds the players whose standing differs from their tier (or whose grace period
    is running); only those are visited, each locked and re-checked in its own transaction.
    """
    now = now or timezone.now()
    days = int(config.LOYALTY_TIER_WINDOW_DAYS)
    policy = config.LOYALTY_TIER_DOWNGRADE
    grace = timedelta(days=int(config.LOYALTY_TIER_DOWNGRADE_DAYS))
    tiers = sorted(Tier.objects.all(), key=lambda t: ORDER[t.tier_level])
    if not tiers:
        return {"changed": 0}
    since = now - timedelta(days=days)
    candidates = (
        PlayerProfile.objects.annotate(lp_earned=lp_earned_subquery(since=since))
        .annotate(target=_target_case(tiers))
        .exclude(target=F("tier"), below_tier_since__isnull=True)
        .order_by("pk")
        .values_list("pk", "lp_earned", "target")
    )
    up = down = pending = 0
    for pk, earned_raw, target in candidates:
        earned = Decimal(earned_raw).quantize(Decimal("0.01"))
        with transaction.atomic():
            profile = PlayerProfile.objects.select_for_update().get(pk=pk)
            label = dict(TierLevel.choices)[target]
            if ORDER[target] > ORDER[profile.tier]:
                _change(
                    profile,
                    new=target,
                    earned=earned,
                    reason=f"{earned} LP earned in {days} days reached {label}",
                    now=now,
                )
                up += 1
            elif ORDER[target] == ORDER[profile.tier]:
                profile.below_tier_since = None
                profile.save(update_fields=["below_tier_since", "updated_at"])
            elif policy == "automatic":
                _change(
                    profile, new=target, earned=earned, reason=f"{earned} LP earned in {days} days: {label}", now=now
                )
                down += 1
            elif policy == "after_days":
                if profile.below_tier_since is None:
                    profile.below_tier_since = now
                    profile.save(update_fields=["below_tier_since", "updated_at"])
                    tier_downgrade_pending.emit(
                        key=f"grace:{profile.customer_id}:{now.date().isoformat()}",
                        customer_id=profile.customer_id,
                        tier=profile.tier,
                        downgrade_on=(now + grace).isoformat(),
                    )
                    pending += 1
                elif profile.below_tier_since + grace <= now:
                    reason = (
                        f"{earned} LP earned in {days} days, below {profile.get_tier_display()} for {grace.days} days"
                    )
                    _change(profile, new=target, earned=earned, reason=reason, now=now)
                    down += 1
        if progress is not None:
            progress.processed()
    return {"upgraded": up, "downgraded": down, "grace_started": pending}


def tier_progress(*, customer, now: datetime | None = None) -> dict:
    """Where a player stands: tier, LP earned in the window, the next tier, points needed, and a
    projected date at the pace of the window (None when they earned nothing or are at the top)."""
    now = now or timezone.now()
    days = int(config.LOYALTY_TIER_WINDOW_DAYS)
    tiers = sorted(Tier.objects.all(), key=lambda t: ORDER[t.tier_level])
    profile = PlayerProfile.objects.filter(customer=customer).first()
    current = profile.tier if profile else TierLevel.BRONZE
    earned = PlayerProfile.objects.filter(customer=customer).annotate(
        lp_earned=lp_earned_subquery(since=now - timedelta(days=days))
    ).values_list("lp_earned", flat=True).first() or Decimal(0)
    above = [t for t in tiers if ORDER[t.tier_level] > ORDER[current]]
    nxt = above[0] if above else None
    needed = max(Decimal(nxt.lp_min) - earned, Decimal(0)) if nxt else None
    projected = None
    if nxt is not None and earned > 0 and needed:
        per_day = earned / days
        projected = (now + timedelta(days=float(needed / per_day))).date()
    benefits = next((t.benefits for t in tiers if t.tier_level == current), {})
    span = Decimal(nxt.lp_min) if nxt else None
    percent = int(min(earned / span * 100, 100)) if span else 100
    return {
        "tier": current,
        "window_days": days,
        "lp_earned": earned,
        "next_tier": nxt.tier_level if nxt else None,
        "points_needed": needed,
        "projected_date": projected,
        "percent": percent,
        "benefits": benefits,
        "below_tier_since": profile.below_tier_since if profile else None,
    }
