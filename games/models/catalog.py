"""Studios, games, credit types and packages (seed 000 studio/game/credit_type/package, seed 002 games)."""

import uuid

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from ledger.models import AMOUNT


class Studio(models.Model):
    name = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class GameType(models.TextChoices):
    QUIZ = "quiz", "Quiz"
    PUZZLE = "puzzle", "Puzzle"
    PREDICTION = "prediction", "Prediction"
    CASINO = "casino", "Casino"
    ARCADE = "arcade", "Arcade"
    OTHER = "other", "Other"


class Game(models.Model):
    """A game of a studio. `guid` is the game_id partners use; it is secret to the studio."""

    studio = models.ForeignKey(Studio, on_delete=models.PROTECT, related_name="games")
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=50, choices=GameType.choices, default=GameType.OTHER)
    metadata = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["type"], name="games_game_type_idx"),
            models.Index(fields=["is_active"], name="games_game_active_idx"),
        ]

    def __str__(self):
        return self.name


class CreditType(models.Model):
    """A game's own currency. Each owns one ledger Asset (`CR-<id>`)."""

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="credit_types")
    asset = models.OneToOneField("ledger.Asset", on_delete=models.PROTECT, related_name="credit_type")
    name = models.CharField(max_length=32)
    label = models.CharField(max_length=32)
    exchange_rate = models.PositiveIntegerField(help_text="Credits per coin.")
    icon = models.FileField(upload_to="credit_icons/", blank=True)
    expiry_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long granted credits are meant to last; nothing expires them yet."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["game__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["game", "name"], name="games_credit_type_game_name_unique"),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="games_credit_type_rate_positive"),
        ]

    def __str__(self):
        return f"{self.game} · {self.label}"


class Package(models.Model):
    """A bundle of credits sold for coins."""

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="packages")
    credit_type = models.ForeignKey(CreditType, on_delete=models.PROTECT, related_name="packages")
    name = models.CharField(max_length=32)
    label = models.CharField(max_length=32)
    credit_value = models.PositiveIntegerField()
    gcoin_value = models.DecimalField(**AMOUNT)
    icon = models.FileField(upload_to="package_icons/", blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["game__name", "gcoin_value"]
        constraints = [
            models.UniqueConstraint(fields=["game", "name"], name="games_package_game_name_unique"),
            models.CheckConstraint(condition=Q(credit_value__gt=0), name="games_package_credit_value_positive"),
            models.CheckConstraint(condition=Q(gcoin_value__gt=0), name="games_package_gcoin_value_positive"),
        ]
        indexes = [models.Index(fields=["is_active"], name="games_package_active_idx")]

    def __str__(self):
        return f"{self.game} · {self.label}"
