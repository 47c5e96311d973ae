"""Jobs of the loyalty app, run by beat through the job runner (nodebyte_platform.jobs).

Each is safe to run twice at once: the runner lets one run of a job at a time, and every write
below is idempotent (upserts, unique grants per period, locked and re-checked rows).
"""

from loyalty import services
from loyalty.services import abuse
from nodebyte_platform.jobs import JobContext, job


@job("loyalty.recompute_metrics")
def recompute_metrics(ctx: JobContext) -> dict:
    """Rebuild every player's metrics from ledger deposits, bets and sessions (set-based)."""
    rows = services.recompute_all_metrics()
    ctx.processed(rows)
    return {"players": rows}


@job("loyalty.recompute_standing")
def recompute_standing(ctx: JobContext) -> dict:
    """Segments from metrics, tiers from LP earned in the window (with the downgrade policy)."""
    segments = services.recompute_segments()
    tiers = services.recompute_tiers(progress=ctx)
    return {"segments": segments, **tiers}


@job("loyalty.evaluate_rules")
def evaluate_rules(ctx: JobContext) -> dict:
    """Run every active reward rule in priority order; each grants once per player and period."""
    return services.evaluate_rules(progress=ctx)


@job("loyalty.expire_bonuses")
def expire_bonuses(ctx: JobContext) -> dict:
    """Forfeit expired bonuses and tell players about those expiring within a day."""
    return services.expire_bonuses(progress=ctx)


@job("loyalty.expire_points")
def expire_points(ctx: JobContext) -> dict:
    """Expire LP and credits past their validity, oldest first."""
    return services.expire_points(progress=ctx)


@job("loyalty.detect_abuse")
def detect_abuse(ctx: JobContext) -> dict:
    """Raise abuse signals: bonus hunting, max-bet breaches, referral rings, abnormal win/loss."""
    return abuse.detect_abuse(progress=ctx)
