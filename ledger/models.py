"""The one double-entry ledger behind every balance on the platform.

Seed views: 000 coin_transaction / credit_transaction / credit_balance,
001 transactions / loyalty_balances, 002 wallets / transactions, 003 wallets.
Transfers and postings are append-only (pgtrigger on PostgreSQL); mistakes are
fixed by a reversal transfer.
"""

import uuid

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

AMOUNT = {"max_digits": 20, "decimal_places": 4}


def refuse_truncate(name: str) -> pgtrigger.Trigger:
    """TRUNCATE skips row triggers, so append-only tables need a statement trigger too."""
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Truncate,
        level=pgtrigger.Statement,
        when=pgtrigger.Before,
        func="RAISE EXCEPTION 'pgtrigger: Cannot truncate append-only table %', TG_TABLE_NAME; RETURN NULL;",
    )


class AssetKind(models.TextChoices):
    PLATFORM = "platform", "Platform currency"
    FIAT = "fiat", "Fiat currency"
    CREDIT = "credit", "Game credit"
    LOYALTY = "loyalty", "Loyalty points"


class Asset(models.Model):
    """What a balance is counted in: COIN, EUR, LP, CR-<credit type id>..."""

    code = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    precision = models.PositiveSmallIntegerField(help_text="Decimal places an amount may carry.")
    label = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["kind"], name="ledger_asset_kind_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(precision__lte=4), name="ledger_asset_precision_lte_4"),
        ]

    def __str__(self):
        return self.code


class SystemWallet(models.TextChoices):
    ISSUANCE = "issuance", "Issuance"
    REVENUE = "revenue", "Revenue"
    HOUSE = "house", "House"
    PAYOUTS = "payouts", "Payouts"
    GATEWAY_SANDBOX = "gateway:sandbox", "Gateway (sandbox)"
    ADJUSTMENTS = "adjustments", "Adjustments"
    RESERVATIONS = "reservations", "Session reservations"
    BONUS_POOL = "bonus_pool", "Bonus pool"
    EXPIRED = "expired", "Expired balances"


class Wallet(models.Model):
    """One balance: an owner's (or the platform's `system_code`) holding of one asset."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="wallets")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="wallets"
    )
    system_code = models.CharField(max_length=32, null=True, blank=True)
    balance = models.DecimalField(**AMOUNT, default=0)
    tracks_balance = models.BooleanField(
        default=True,
        help_text="Hot system wallets keep no stored balance: theirs is the sum of their postings.",
    )
    allow_negative = models.BooleanField(default=False)
    # seed 003 wallets.average_minute_cost: the typical price of a metered minute for this wallet.
    average_minute_cost = models.DecimalField(**AMOUNT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "asset"], condition=Q(owner__isnull=False), name="ledger_wallet_owner_asset_unique"
            ),
            models.UniqueConstraint(
                fields=["system_code", "asset"],
                condition=Q(system_code__isnull=False),
                name="ledger_wallet_system_asset_unique",
            ),
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=0), name="ledger_wallet_balance_non_negative"
            ),
            models.CheckConstraint(
                condition=(Q(owner__isnull=False) & Q(system_code__isnull=True))
                | (Q(owner__isnull=True) & Q(system_code__isnull=False)),
                name="ledger_wallet_owner_xor_system",
            ),
        ]
        indexes = [models.Index(fields=["system_code"], name="ledger_wallet_system_idx")]

    def __str__(self):
        holder = self.system_code or self.owner
        return f"{holder} · {self.asset}"


class TransferKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    PURCHASE = "purchase", "Package purchase"
    SPEND = "spend", "Credit spend"
    GRANT = "grant", "Credit grant"
    GIFT = "gift", "Gift"
    ADJUSTMENT = "adjustment", "Staff adjustment"
    REVERSAL = "reversal", "Reversal"
    BET = "bet", "Bet stake"
    WIN = "win", "Bet payout"
    SESSION = "session", "Metered session"
    REWARD = "reward", "Loyalty reward"
    BONUS_ISSUED = "bonus_issued", "Bonus issued"
    BONUS_EXPIRED = "bonus_expired", "Bonus expired"
    EXPIRY = "expiry", "Expiry"
    PAYMENT = "payment", "Payment"
    TOPUP = "topup", "Top-up"
    REFUND = "refund", "Refund"


class Transfer(models.Model):
    """One business event: a set of postings that sum to zero per asset. Never changed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=TransferKind.choices)
    initiator = models.CharField(
        max_length=64, help_text="Who asked: app:<id>, user:<id> or system:<job>. Scopes the idempotency key."
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_hash = models.CharField(max_length=64, blank=True, help_text="Fingerprint of the request behind the key.")
    description = models.TextField(blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="External reference (seed 001 reference_id).")
    metadata = models.JSONField(default=dict, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiator", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_transfer_idempotency_unique",
            ),
        ]
        indexes = [models.Index(fields=["kind", "created_at"], name="ledger_transfer_kind_idx")]
        triggers = [
            pgtrigger.Protect(name="ledger_transfer_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            refuse_truncate("ledger_transfer_no_truncate"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.public_id}"


class Posting(models.Model):
    """One leg of a transfer on one wallet. `balance_after` is null on wallets that track no balance."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="postings")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="postings")
    amount = models.DecimalField(**AMOUNT)
    balance_after = models.DecimalField(**AMOUNT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_amount_non_zero"),
        ]
        indexes = [models.Index(fields=["wallet", "created_at"], name="idx_transaction_player_date")]
        triggers = [
            pgtrigger.Protect(name="ledger_posting_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
            refuse_truncate("ledger_posting_no_truncate"),
        ]

    @property
    def balance_before(self):
        return None if self.balance_after is None else self.balance_after - self.amount

    def __str__(self):
        return f"{self.amount:+} on {self.wallet}"
