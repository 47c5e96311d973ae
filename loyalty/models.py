"""Casino loyalty (seed 001): profiles, metrics, tiers, JSON reward rules, grants, abuse signals.

Seed 001's balances (LP, RP, BONUS, TICKETS) are ledger wallets; its bonus terms
live on RewardGrant.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from ledger.models import AMOUNT


class Segment(models.TextChoices):
    NEW = "NEW", "New"
    WINNING = "WINNING", "Winning"
    BREAKEVEN = "BREAKEVEN", "Breakeven"
    LOSING = "LOSING", "Losing"
    VIP = "VIP", "VIP"


class TierLevel(models.TextChoices):
    BRONZE = "BRONZE", "Bronze"
    SILVER = "SILVER", "Silver"
    GOLD = "GOLD", "Gold"
    PLATINUM = "PLATINUM", "Platinum"


class CurrencyType(models.TextChoices):
    LP = "LP", "Loyalty points"
    RP = "RP", "Reward points"
    BONUS = "BONUS", "Bonus balance"
    TICKETS = "TICKETS", "Tickets"


class TransactionType(models.TextChoices):
    """Seed 001 transaction types; a ledger transfer's kind maps onto one of these."""

    DEPOSIT = "DEPOSIT", "Deposit"
    WITHDRAWAL = "WITHDRAWAL", "Withdrawal"
    WAGER = "WAGER", "Wager"
    WIN = "WIN", "Win"
    REWARD = "REWARD", "Reward"
    BONUS_ISSUED = "BONUS_ISSUED", "Bonus issued"
    BONUS_EXPIRED = "BONUS_EXPIRED", "Bonus expired"
    LP_EARNED = "LP_EARNED", "LP earned"
    LP_REDEEMED = "LP_REDEEMED", "LP redeemed"


class RewardType(models.TextChoices):
    CASHBACK = "CASHBACK", "Cashback"
    BONUS_BALANCE = "BONUS_BALANCE", "Bonus balance"
    FREE_PLAY = "FREE_PLAY", "Free play"
    LOYALTY_POINTS = "LOYALTY_POINTS", "Loyalty points"
    REWARD_POINTS = "REWARD_POINTS", "Reward points"
    TICKETS = "TICKETS", "Tickets"
    VIP_PERKS = "VIP_PERKS", "VIP perks"


class RewardStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ACTIVE = "ACTIVE", "Active"
    COMPLETED = "COMPLETED", "Completed"
    EXPIRED = "EXPIRED", "Expired"
    CANCELLED = "CANCELLED", "Cancelled"


class PlayerProfile(models.Model):
    """Seed 001 players: a customer's loyalty standing. Email and name live on the User."""

    customer = models.OneToOneField("accounts.Customer", on_delete=models.CASCADE, related_name="loyalty_profile")
    segment = models.CharField(max_length=16, choices=Segment.choices, default=Segment.NEW)
    tier = models.CharField(max_length=16, choices=TierLevel.choices, default=TierLevel.BRONZE)
    risk_score = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    is_blocked = models.BooleanField(default=False)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    below_tier_since = models.DateTimeField(
        null=True, blank=True, help_text="Since when the LP earned in the window is below the tier's range."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["segment", "tier"], name="idx_player_segment_tier"),
            models.Index(fields=["is_blocked"], name="loyalty_profile_blocked_idx"),
            models.Index(fields=["tier"], name="loyalty_profile_tier_idx"),
            models.Index(fields=["is_active"], name="loyalty_profile_active_idx"),
            models.Index(fields=["created_at"], name="loyalty_profile_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_score__gte=0) & Q(risk_score__lte=100), name="loyalty_profile_risk_score_0_100"
            ),
        ]

    def __str__(self):
        return f"{self.customer} ({self.tier})"


class PlayerMetrics(models.Model):
    """Seed 001 player_metrics, computed from facts by loyalty.services.metrics (never edited)."""

    customer = models.OneToOneField("accounts.Customer", on_delete=models.CASCADE, related_name="loyalty_metrics")
    total_deposited = models.DecimalField(**AMOUNT, default=0)
    total_wagered = models.DecimalField(**AMOUNT, default=0)
    total_won = models.DecimalField(**AMOUNT, default=0)
    net_pnl = models.DecimalField(**AMOUNT, default=0)
    house_edge_contribution = models.DecimalField(**AMOUNT, default=0)
    total_sessions = models.PositiveIntegerField(default=0)
    total_playtime_hours = models.DecimalField(**AMOUNT, default=0)
    avg_session_duration = models.DecimalField(**AMOUNT, default=0, help_text="Minutes")
    total_bets = models.PositiveIntegerField(default=0)
    avg_bet_size = models.DecimalField(**AMOUNT, default=0)
    games_played = models.JSONField(default=dict, blank=True)
    win_loss_ratio = models.DecimalField(**AMOUNT, default=0)
    volatility_score = models.DecimalField(**AMOUNT, default=0)
    bonus_abuse_score = models.PositiveSmallIntegerField(default=0)
    last_deposit_at = models.DateTimeField(null=True, blank=True)
    last_wager_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "player metrics"
        indexes = [
            models.Index(fields=["last_deposit_at"], name="loyalty_metrics_deposit_idx"),
            models.Index(fields=["last_wager_at"], name="loyalty_metrics_wager_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(bonus_abuse_score__lte=100), name="loyalty_metrics_abuse_score_0_100"),
            models.CheckConstraint(
                condition=Q(total_deposited__gte=0) & Q(total_wagered__gte=0) & Q(total_won__gte=0),
                name="loyalty_metrics_totals_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(total_playtime_hours__gte=0) & Q(avg_session_duration__gte=0),
                name="loyalty_metrics_durations_non_negative",
            ),
        ]

    def __str__(self):
        return f"Metrics of {self.customer}"


class Tier(models.Model):
    """Seed 001 tiers: the LP range of each tier level and its benefits (history kept)."""

    tier_level = models.CharField(max_length=16, choices=TierLevel.choices, unique=True)
    lp_min = models.PositiveIntegerField()
    lp_max = models.PositiveIntegerField(null=True, blank=True)
    benefits = models.JSONField(default=dict, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["lp_min"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lp_max__isnull=True) | Q(lp_max__gt=models.F("lp_min")), name="loyalty_tier_range_valid"
            ),
        ]

    def __str__(self):
        return self.get_tier_level_display()


class RewardRule(models.Model):
    """A JSON rule: `conditions` select players, `reward_config` says what they get."""

    rule_id = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=500, blank=True)
    priority = models.IntegerField(default=0, help_text="Rules are listed highest first.")
    is_active = models.BooleanField(default=True)
    conditions = models.JSONField(default=dict, blank=True)
    reward_config = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-priority", "rule_id"]
        indexes = [
            models.Index(fields=["priority", "is_active"], name="idx_rule_priority_active"),
            models.Index(fields=["is_active"], name="loyalty_rule_active_idx"),
            models.Index(fields=["created_at"], name="loyalty_rule_created_idx"),
        ]

    def __str__(self):
        return self.name


class RewardGrant(models.Model):
    """Seed 001 reward_history plus the bonus terms of loyalty_balances."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="reward_grants")
    rule = models.ForeignKey(RewardRule, on_delete=models.PROTECT, null=True, blank=True, related_name="grants")
    period_key = models.CharField(
        max_length=64, blank=True, help_text="The evaluation period; a rule grants once per player and period."
    )
    reward_type = models.CharField(max_length=16, choices=RewardType.choices)
    amount = models.DecimalField(**AMOUNT)
    currency_type = models.CharField(max_length=8, choices=CurrencyType.choices)
    status = FSMField(max_length=16, choices=RewardStatus.choices, default=RewardStatus.PENDING, protected=True)
    wagering_required = models.DecimalField(**AMOUNT, default=0)
    wagering_completed = models.DecimalField(**AMOUNT, default=0)
    max_bet = models.DecimalField(**AMOUNT, null=True, blank=True)
    eligible_games = models.JSONField(default=list, blank=True)
    transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="reward_grant"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["customer", "status"], name="idx_reward_player_status"),
            models.Index(fields=["status", "expires_at"], name="loyalty_grant_expiry_idx"),
            models.Index(fields=["reward_type"], name="loyalty_grant_type_idx"),
            models.Index(fields=["currency_type"], name="loyalty_grant_currency_idx"),
            models.Index(fields=["created_at"], name="loyalty_grant_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loyalty_grant_amount_positive"),
            models.CheckConstraint(
                condition=Q(wagering_required__gte=0) & Q(wagering_completed__gte=0),
                name="loyalty_grant_wagering_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(max_bet__isnull=True) | Q(max_bet__gt=0), name="loyalty_grant_max_bet_positive"
            ),
            models.UniqueConstraint(
                fields=["rule", "customer", "period_key"],
                condition=Q(rule__isnull=False) & ~Q(period_key=""),
                name="loyalty_grant_once_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.get_reward_type_display()} {self.amount} for {self.customer}"

    @transition(field=status, source=RewardStatus.PENDING, target=RewardStatus.ACTIVE)
    def activate(self, *, transfer=None):
        self.transfer = transfer
        self.issued_at = timezone.now()

    @transition(field=status, source=RewardStatus.ACTIVE, target=RewardStatus.COMPLETED)
    def complete(self):
        self.completed_at = timezone.now()

    @transition(field=status, source=RewardStatus.ACTIVE, target=RewardStatus.EXPIRED)
    def expire(self):
        pass

    @transition(field=status, source=[RewardStatus.PENDING, RewardStatus.ACTIVE], target=RewardStatus.CANCELLED)
    def cancel(self):
        pass


class AbuseSignal(models.Model):
    """Seed 001 abuse_signals: a fraud or bonus-abuse hint about a player, resolved by staff."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="abuse_signals")
    signal_type = models.CharField(max_length=100)
    severity = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    is_resolved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-detected_at"]
        indexes = [
            models.Index(fields=["customer", "is_resolved"], name="idx_abuse_player_unresolved"),
            models.Index(fields=["signal_type"], name="loyalty_abuse_type_idx"),
            models.Index(fields=["severity"], name="loyalty_abuse_severity_idx"),
            models.Index(fields=["is_resolved", "detected_at"], name="loyalty_abuse_open_idx"),
            models.Index(fields=["detected_at"], name="loyalty_abuse_detected_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__gte=1) & Q(severity__lte=10), name="loyalty_abuse_severity_1_10"
            ),
            models.CheckConstraint(
                condition=Q(is_resolved=False) | Q(resolved_at__isnull=False), name="loyalty_abuse_resolved_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.signal_type} ({self.severity}) for {self.customer}"


class TierChange(models.Model):
    """A player's move from one tier to another, with why (loyalty.services.tiers)."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="tier_changes")
    old_tier = models.CharField(max_length=16, choices=TierLevel.choices)
    new_tier = models.CharField(max_length=16, choices=TierLevel.choices)
    reason = models.CharField(max_length=255)
    lp_earned = models.DecimalField(**AMOUNT, default=0, help_text="LP earned in the window when it changed.")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "changed_at"], name="loyalty_tierchange_cust_idx"),
            models.Index(fields=["changed_at"], name="loyalty_tierchange_at_idx"),
            models.Index(fields=["new_tier"], name="loyalty_tierchange_new_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(old_tier=models.F("new_tier")), name="loyalty_tierchange_moves"),
        ]

    def __str__(self):
        return f"{self.customer}: {self.old_tier} -> {self.new_tier}"
