"""What a game may pay out on bets: per-asset limits, the house's running exposure, and refusals staff review.

A game takes bets in an asset only once staff have set a `BetLimit` for it: the largest payout
one bet may declare, and how much the house may lose net on the game in that asset per period.
Settlement checks both under a lock on the limit row; a refusal is kept as a `BetLimitFinding`.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from ledger.models import AMOUNT


class ExposurePeriod(models.TextChoices):
    HOUR = "hour", "Hour (UTC)"
    DAY = "day", "Day (UTC)"
    WEEK = "week", "Week (UTC, from Monday)"
    MONTH = "month", "Month (UTC)"


def period_start(period: str, moment: datetime) -> datetime:
    """The start of the calendar period (UTC) that `moment` falls in."""
    moment = moment.astimezone(UTC)
    hour = moment.replace(minute=0, second=0, microsecond=0)
    if period == ExposurePeriod.HOUR:
        return hour
    day = hour.replace(hour=0)
    if period == ExposurePeriod.DAY:
        return day
    if period == ExposurePeriod.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


class BetLimit(models.Model):
    """How much a game may pay out on bets in one asset (staff set it; none means no bets in that asset)."""

    game = models.ForeignKey("games.Game", on_delete=models.PROTECT, related_name="bet_limits")
    asset = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, related_name="+")
    max_payout_per_bet = models.DecimalField(
        **AMOUNT, help_text="The largest payout one bet may declare (and be paid), stake included."
    )
    exposure_limit = models.DecimalField(
        **AMOUNT, help_text="The most the house may lose net (payouts minus stakes) on this game per period."
    )
    exposure_period = models.CharField(max_length=8, choices=ExposurePeriod.choices, default=ExposurePeriod.DAY)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["game__name", "asset__code"]
        constraints = [
            models.UniqueConstraint(fields=["game", "asset"], name="games_bet_limit_game_asset_unique"),
            models.CheckConstraint(condition=Q(max_payout_per_bet__gt=0), name="games_bet_limit_max_payout_positive"),
            models.CheckConstraint(condition=Q(exposure_limit__gt=0), name="games_bet_limit_exposure_positive"),
        ]
        indexes = [models.Index(fields=["exposure_period"], name="games_bet_limit_period_idx")]

    def __str__(self):
        return f"{self.game} · {self.asset}"


class BetExposure(models.Model):
    """The house's net result on one limit's game and asset in one period: what settlement checks against.

    Written only by `games.services.settle_bet` under the limit row's lock, so it is exactly the
    sum of (payout - stake) of the bets settled in the period.
    """

    limit = models.ForeignKey(BetLimit, on_delete=models.PROTECT, related_name="exposures")
    period_start = models.DateTimeField()
    net_payout = models.DecimalField(**AMOUNT, default=0, help_text="Payouts minus stakes; positive: the house lost.")
    bets_settled = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["limit", "period_start"], name="games_bet_exposure_once_per_period"),
        ]
        indexes = [models.Index(fields=["period_start"], name="games_bet_exposure_period_idx")]

    def __str__(self):
        return f"{self.limit} from {self.period_start:%Y-%m-%d %H:%M}"


class FindingReason(models.TextChoices):
    PER_BET_CAP = "per_bet_cap", "Payout above the game's per-bet cap"
    EXPOSURE_LIMIT = "exposure_limit", "House exposure limit for the period reached"


class BetLimitFinding(models.Model):
    """A settlement the game's limits refused; staff look into it and mark it resolved."""

    bet = models.ForeignKey("games.Bet", on_delete=models.PROTECT, related_name="limit_findings")
    limit = models.ForeignKey(BetLimit, on_delete=models.PROTECT, related_name="findings")
    reason = models.CharField(max_length=16, choices=FindingReason.choices)
    requested_payout = models.DecimalField(**AMOUNT)
    cap = models.DecimalField(**AMOUNT, help_text="The limit that refused it.")
    exposure_before = models.DecimalField(**AMOUNT, null=True, blank=True)
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["resolved", "created_at"], name="games_bet_finding_open_idx"),
            models.Index(fields=["reason"], name="games_bet_finding_reason_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved=False) | Q(resolved_at__isnull=False), name="games_bet_finding_resolved_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} on {self.bet}"
