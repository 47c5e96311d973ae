"""Game sessions and bets (seed 002 game_sessions / bets, seed 003 sessions)."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from ledger.models import AMOUNT


class SessionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FORFEITED = "forfeited", "Forfeited"
    CANCELLED = "cancelled", "Cancelled"


class SessionResult(models.TextChoices):
    WIN = "win", "Win"
    LOSS = "loss", "Loss"
    DRAW = "draw", "Draw"


class GameSession(models.Model):
    """One play of a game, free or metered per minute (seed 003: price_per_minute)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="game_sessions")
    game = models.ForeignKey("games.Game", on_delete=models.PROTECT, null=True, blank=True, related_name="sessions")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="game_sessions",
    )
    # seed 003: content played on a partner platform
    content_id = models.CharField(max_length=255, blank=True)
    content_title = models.CharField(max_length=255, blank=True)
    platform = models.CharField(max_length=100, blank=True, db_index=True)
    # metered play: the asset charged, price per started minute and the amount held back
    asset = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    price_per_minute = models.DecimalField(**AMOUNT, null=True, blank=True)
    reserved_amount = models.DecimalField(**AMOUNT, default=0)
    # How many reservations were posted; numbers each one's idempotency key.
    reservation_count = models.PositiveIntegerField(default=0)
    total_cost = models.DecimalField(**AMOUNT, null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    result = models.CharField(max_length=20, choices=SessionResult.choices, blank=True, db_index=True)
    score = models.DecimalField(**AMOUNT, null=True, blank=True)
    status = FSMField(max_length=20, choices=SessionStatus.choices, default=SessionStatus.IN_PROGRESS, protected=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_seconds__isnull=True) | Q(duration_seconds__gte=0),
                name="games_session_duration_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(price_per_minute__isnull=True) | Q(price_per_minute__gt=0),
                name="games_session_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(price_per_minute__isnull=True) | Q(asset__isnull=False),
                name="games_session_metered_has_asset",
            ),
            models.CheckConstraint(condition=Q(reserved_amount__gte=0), name="games_session_reserved_non_negative"),
            models.CheckConstraint(
                condition=Q(total_cost__isnull=True) | Q(total_cost__gte=0), name="games_session_cost_non_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "started_at"], name="idx_sessions_user_id"),
            models.Index(fields=["content_id"], name="idx_sessions_content_id"),
            models.Index(fields=["started_at"], name="idx_sessions_started_at"),
            models.Index(fields=["status"], name="idx_sessions_status"),
        ]

    def __str__(self):
        return f"Session {self.public_id}"

    @property
    def is_metered(self) -> bool:
        return self.price_per_minute is not None

    @property
    def duration(self) -> timedelta | None:
        """Seed 002's `duration` interval, derived from `duration_seconds`."""
        return None if self.duration_seconds is None else timedelta(seconds=self.duration_seconds)

    def _close(self, when):
        self.ended_at = when
        self.duration_seconds = max(0, int((when - self.started_at).total_seconds()))

    @transition(field=status, source=SessionStatus.IN_PROGRESS, target=SessionStatus.COMPLETED)
    def complete(self, *, when=None, result="", score=None):
        self._close(when or timezone.now())
        self.result = result
        self.score = score

    @transition(field=status, source=SessionStatus.IN_PROGRESS, target=SessionStatus.FORFEITED)
    def forfeit(self, *, when=None):
        self._close(when or timezone.now())
        self.result = SessionResult.LOSS

    @transition(field=status, source=SessionStatus.IN_PROGRESS, target=SessionStatus.CANCELLED)
    def cancel(self, *, when=None):
        self._close(when or timezone.now())


class BetStatus(models.TextChoices):
    PLACED = "placed", "Placed"
    SETTLED = "settled", "Settled"
    VOIDED = "voided", "Voided"


class BetOutcome(models.TextChoices):
    WIN = "win", "Win"
    LOSS = "loss", "Loss"
    PUSH = "push", "Push (stake returned)"


class Bet(models.Model):
    """A stake within a session; settles once with an outcome and a payout."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(GameSession, on_delete=models.PROTECT, related_name="bets")
    asset = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**AMOUNT)
    choice = models.CharField(max_length=100, blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    status = FSMField(max_length=16, choices=BetStatus.choices, default=BetStatus.PLACED, protected=True)
    outcome = models.CharField(max_length=20, choices=BetOutcome.choices, blank=True, db_index=True)
    payout = models.DecimalField(**AMOUNT, default=0)
    # Declared when the bet is placed: decimal odds (a win pays stake x odds) or a maximum payout.
    # A win is never paid more than `max_payout`; the game's BetLimit caps it further.
    odds = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    max_payout = models.DecimalField(**AMOUNT)
    is_successful = models.BooleanField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    stake_transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="staked_bet"
    )
    payout_transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="paid_bet"
    )
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="games_bet_amount_positive"),
            models.CheckConstraint(condition=Q(payout__gte=0), name="games_bet_payout_non_negative"),
            models.CheckConstraint(
                condition=~Q(status="settled") | (Q(settled_at__isnull=False) & ~Q(outcome="")),
                name="games_bet_settled_has_outcome",
            ),
            models.CheckConstraint(condition=Q(max_payout__gt=0), name="games_bet_max_payout_positive"),
            models.CheckConstraint(condition=Q(odds__isnull=True) | Q(odds__gt=1), name="games_bet_odds_above_one"),
            models.CheckConstraint(
                condition=~Q(outcome="win") | Q(payout__lte=models.F("max_payout")),
                name="games_bet_win_within_max_payout",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="games_bet_status_idx"),
            models.Index(fields=["placed_at"], name="games_bet_placed_idx"),
        ]

    def __str__(self):
        return f"Bet {self.public_id}"

    @transition(field=status, source=BetStatus.PLACED, target=BetStatus.SETTLED)
    def settle(self, *, outcome, payout, when=None):
        self.outcome = outcome
        self.payout = payout
        self.is_successful = outcome == BetOutcome.WIN
        self.settled_at = when or timezone.now()

    @transition(field=status, source=BetStatus.PLACED, target=BetStatus.VOIDED)
    def void(self, *, when=None):
        self.settled_at = when or timezone.now()
