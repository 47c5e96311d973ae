"""The one double-entry ledger behind every balance on the platform.

Seed views: 000 coin_transaction / credit_transaction / credit_balance,
001 transactions / loyalty_balances, 002 wallets / transactions, 003 wallets.
Transfers and postings are append-only; mistakes are fixed by a reversal transfer. On
PostgreSQL plain triggers that no session setting switches off (migration 0009) refuse an update,
delete or truncate of the history, a posting into a transfer of another transaction, a stored
balance that does not follow its wallet's postings, a change of any other wallet column, and (at
COMMIT) a transfer unbalanced per asset.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Round
from django_fsm import FSMField, transition

AMOUNT = {"max_digits": 20, "decimal_places": 4}


def amount_sum(expression: str = "amount") -> Round:
    """SUM of an amount column, exact on every database.

    SQLite (the demo's database) keeps decimals as binary floats, so its SUM of 0.01 and 2 minus 2
    is 0.00999999999999979; rounding to the column's places gives the exact amount back. On
    PostgreSQL the sum is already exact numeric and the rounding changes nothing.
    """
    return Round(Sum(expression), AMOUNT["decimal_places"], output_field=models.DecimalField(**AMOUNT))


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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["kind"], name="ledger_asset_kind_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(precision__lte=4), name="ledger_asset_precision_lte_4"),
        ]

    def __str__(self):
        return self.code

    @property
    def quantum(self) -> Decimal:
        """The smallest amount of this asset: 0.01 for precision 2, 1 for precision 0."""
        return Decimal(1).scaleb(-self.precision)

    def format_amount(self, amount) -> str:
        """`amount` as a decimal string with exactly this asset's places ("5.00", never "5.0000")."""
        return str(Decimal(amount).quantize(self.quantum))


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
    GATEWAY_STRIPE = "gateway:stripe", "Gateway (Stripe)"
    GATEWAY_BANK = "gateway:bank", "Bank account (manual transfers)"


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
        db_index=True,
    )
    allow_negative = models.BooleanField(default=False, db_index=True)
    # seed 003 wallets.average_minute_cost: the typical price of a metered minute for this wallet.
    average_minute_cost = models.DecimalField(**AMOUNT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
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
        # Never deleted, created with a zero balance, only `balance` and `last_updated` change,
        # and a balance change must match the wallet's last posting: triggers of migration 0009.

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
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
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
        # Append-only, and stamped with the transaction that created it (a PostgreSQL-only
        # `created_xact` column, set by a trigger): triggers of migration 0009.

    def __str__(self):
        return f"{self.get_kind_display()} {self.public_id}"


class Posting(models.Model):
    """One leg of a transfer on one wallet. `balance_after` is null on wallets that track no balance."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="postings")
    # No database foreign key: its check takes a KEY SHARE lock on the wallet row for every posting,
    # and on a hot system wallet (revenue) every purchase would queue on that one row. Wallets are
    # never deleted (the trigger on Wallet refuses), and the posting's insert trigger refuses a
    # posting whose wallet does not exist.
    # No single-column index either: the (wallet, ...) indexes below serve every wallet lookup.
    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="postings", db_constraint=False, db_index=False
    )
    amount = models.DecimalField(**AMOUNT)
    balance_after = models.DecimalField(**AMOUNT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_amount_non_zero"),
        ]
        indexes = [
            models.Index(fields=["wallet", "created_at"], name="idx_transaction_player_date"),
            # The last posting of a balance-tracking wallet, looked up by the triggers that keep
            # its stored balance and `balance_after` chain in step (migration 0009). Postings on
            # hot wallets carry no balance_after and stay out of it.
            models.Index(
                fields=["wallet", "id"], name="ledger_posting_chain_idx", condition=Q(balance_after__isnull=False)
            ),
        ]
        # Append-only, only into a transfer of the same transaction, `balance_after` continuing
        # the wallet's last posting, and the transfer's zero sum per asset at COMMIT: triggers
        # of migration 0009 (plain PL/pgSQL, so no session setting switches them off).

    def __str__(self):
        return f"{self.amount:+} on {self.wallet}"

    @property
    def balance_before(self):
        return None if self.balance_after is None else self.balance_after - self.amount


class FrozenOwner(models.Model):
    """A user whose wallets move no money (a blocked player, a fraud hold...).

    Kept in the ledger so that apps above it (loyalty's `is_blocked`, support holds)
    freeze money through `ledger.services.set_wallets_frozen` without the ledger
    importing them; one row per user also covers wallets created later.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ledger_freeze")
    reason = models.CharField(max_length=255)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.user} frozen: {self.reason}"


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    POSTED = "posted", "Posted"


class AdjustmentRequest(models.Model):
    """A staff adjustment of one wallet (maker-checker above ADJUSTMENT_APPROVAL_THRESHOLD).

    Below the threshold it posts at once; above it waits until a second accounting
    user approves it. Nobody approves their own request.
    """

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="adjustment_requests")
    amount = models.DecimalField(**AMOUNT, help_text="Signed: positive credits the wallet, negative debits it.")
    reason = models.TextField()
    status = FSMField(max_length=16, choices=AdjustmentStatus.choices, default=AdjustmentStatus.PENDING, protected=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="adjustment_request"
    )
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_adjustment_idempotency_unique",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_adjustment_amount_non_zero"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("requested_by")),
                name="ledger_adjustment_four_eyes",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="ledger_adjustment_status_idx")]

    def __str__(self):
        return f"Adjustment {self.amount:+} on {self.wallet_id} ({self.status})"

    @transition(field=status, source=AdjustmentStatus.PENDING, target=AdjustmentStatus.APPROVED)
    def approve(self, *, by):
        self.approved_by = by

    @transition(field=status, source=AdjustmentStatus.PENDING, target=AdjustmentStatus.REJECTED)
    def reject(self, *, by, note: str):
        # A maker withdrawing their own request is no approval; the four-eyes check stays intact.
        if by is not None and by.pk != self.requested_by_id:
            self.approved_by = by
        self.decision_note = note

    @transition(
        field=status, source=[AdjustmentStatus.PENDING, AdjustmentStatus.APPROVED], target=AdjustmentStatus.POSTED
    )
    def mark_posted(self, *, transfer):
        self.transfer = transfer


class ReconciliationStatus(models.TextChoices):
    RUNNING = "running", "Running"
    CLEAN = "clean", "Clean"
    FINDINGS = "findings", "Findings"
    FAILED = "failed", "Failed"


class ReconciliationRun(models.Model):
    """One check of the ledger's invariants (nightly job, `ledger_reconcile` or admin)."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ReconciliationStatus.choices, default=ReconciliationStatus.RUNNING, db_index=True
    )
    trigger = models.CharField(max_length=32, default="manual", help_text="beat, command, admin, manual", db_index=True)
    transfers_checked = models.PositiveIntegerField(default=0)
    wallets_checked = models.PositiveIntegerField(default=0)
    findings_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Reconciliation {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class FindingKind(models.TextChoices):
    UNBALANCED_TRANSFER = "unbalanced_transfer", "Transfer does not sum to zero"
    BALANCE_MISMATCH = "balance_mismatch", "Stored balance differs from the sum of postings"
    LAST_BALANCE_AFTER = "last_balance_after", "Stored balance differs from the last balance_after"
    NEGATIVE_BALANCE = "negative_balance", "Forbidden negative balance"


class ReconciliationFinding(models.Model):
    """One broken invariant found by a run; accounting marks it resolved once explained."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=32, choices=FindingKind.choices, db_index=True)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    expected = models.DecimalField(**AMOUNT, null=True, blank=True)
    actual = models.DecimalField(**AMOUNT, null=True, blank=True)
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "id"]
        indexes = [models.Index(fields=["resolved", "run"], name="ledger_finding_open_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} (run {self.run_id})"
