"""Money in and out: payments (seed 003 payment/topup/refund transactions, seed 004 payments),
the providers' events, coin packs, saved payment methods, disputes, withdrawals and auto top-up."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition
from encrypted_fields.fields import EncryptedCharField, EncryptedJSONField
from simple_history.models import HistoricalRecords

from billing.models.invoices import Invoice
from ledger.models import AMOUNT


class CoinPack(models.Model):
    """A pack of GCoins sold for a fiat price (seed 000 buying GCoins); edited by staff, history kept."""

    name = models.CharField(max_length=100)
    currency = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(**AMOUNT)
    coins = models.DecimalField(**AMOUNT)
    bonus_coins = models.DecimalField(**AMOUNT, default=0)
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "price", "id"]
        indexes = [models.Index(fields=["is_active", "sort_order"], name="billing_coinpack_active_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="billing_coinpack_price_positive"),
            models.CheckConstraint(condition=Q(coins__gt=0), name="billing_coinpack_coins_positive"),
            models.CheckConstraint(condition=Q(bonus_coins__gte=0), name="billing_coinpack_bonus_ok"),
        ]

    def __str__(self):
        return self.name

    @property
    def total_coins(self):
        return self.coins + self.bonus_coins


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    TOPUP = "topup", "Top-up"
    REFUND = "refund", "Refund"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card"
    BANK = "bank", "Bank transfer"
    PAYPAL = "paypal", "PayPal"
    CRYPTO = "crypto", "Crypto"
    WALLET = "wallet", "Wallet balance"


class Payment(models.Model):
    """Money arriving from (or refunded to) a gateway; posts a ledger transfer when the provider
    confirms it (or, for a bank transfer, when accounting records and, above the threshold, a
    second accounting user approves it)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    coin_pack = models.ForeignKey(CoinPack, on_delete=models.PROTECT, null=True, blank=True, related_name="payments")
    coins = models.DecimalField(
        **AMOUNT, null=True, blank=True, help_text="Coins the payment credits (a coin pack's coins and bonus)."
    )
    type = models.CharField(max_length=16, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    amount = models.DecimalField(**AMOUNT)
    currency = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, related_name="+")
    wallet = models.ForeignKey(
        "ledger.Wallet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The customer's wallet the payment settles on (seed 003 wallet_id).",
    )
    status = FSMField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, protected=True)
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.CARD)
    gateway = models.CharField(max_length=32, default="sandbox")
    gateway_reference = models.CharField(max_length=191, blank=True, help_text="The checkout session at the gateway.")
    provider_payment_id = models.CharField(
        max_length=191, blank=True, help_text="The provider's payment (Stripe PaymentIntent) once it exists."
    )
    checkout_url = models.CharField(
        max_length=2000, blank=True, help_text="Where the player pays (the gateway's page)."
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="An unpaid checkout is cancelled after this.")
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds", help_text="Refunds only."
    )
    refunded_amount = models.DecimalField(**AMOUNT, default=0)
    saved_method = models.ForeignKey(
        "billing.SavedPaymentMethod", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["customer"], name="idx_transactions_user_id"),
            models.Index(fields=["type"], name="idx_transactions_type"),
            models.Index(fields=["status"], name="idx_transactions_status"),
            models.Index(fields=["created_at"], name="idx_transactions_created_at"),
            models.Index(fields=["wallet"], name="idx_transactions_wallet_id"),
            models.Index(fields=["payment_method"], name="billing_payment_method_idx"),
            models.Index(fields=["customer", "-created_at"], name="billing_payment_history_idx"),
            models.Index(fields=["status", "expires_at"], name="billing_payment_expiry_idx"),
            models.Index(fields=["gateway", "provider_payment_id"], name="billing_payment_provider_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_amount_positive"),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"],
                condition=~Q(gateway_reference=""),
                name="billing_payment_gateway_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="billing_payment_refunded_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("recorded_by")),
                name="billing_payment_four_eyes",
            ),
        ]

    def __str__(self):
        return f"{self.get_type_display()} {self.amount} {self.currency}"

    @transition(field=status, source=PaymentStatus.PENDING, target=PaymentStatus.COMPLETED)
    def complete(self, *, transfer):
        self.transfer = transfer
        self.completed_at = timezone.now()

    @transition(field=status, source=PaymentStatus.PENDING, target=PaymentStatus.FAILED)
    def fail(self, *, reason=""):
        self.failure_reason = reason

    @transition(field=status, source=PaymentStatus.PENDING, target=PaymentStatus.CANCELLED)
    def cancel(self, *, reason=""):
        self.failure_reason = reason


class GatewayEvent(models.Model):
    """One event a payment provider sent us, stored once per provider event id: a replayed or
    concurrent duplicate finds this row and changes nothing."""

    gateway = models.CharField(max_length=32)
    event_id = models.CharField(max_length=191)
    type = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    outcome = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["type"], name="billing_gwevent_type_idx"),
            models.Index(fields=["received_at"], name="billing_gwevent_received_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="billing_gateway_event_once"),
        ]

    def __str__(self):
        return f"{self.gateway} {self.type} {self.event_id}"


class SandboxEvent(models.Model):
    """A signed event the sandbox gateway owes our event endpoint (an outbox: delivered over HTTP
    after the hosted page's choice commits, delivered again by the retry job if that failed)."""

    event_id = models.CharField(max_length=64, unique=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    headers = models.JSONField(default=dict)
    target_url = models.URLField(
        max_length=500, blank=True, help_text="Empty: handed to the endpoint's code in-process."
    )
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["delivered_at", "created_at"], name="billing_sandboxevent_due_idx")]

    def __str__(self):
        return f"sandbox event {self.event_id}"


class SavedPaymentMethod(models.Model):
    """A card the player saved at a gateway (Stripe SetupIntent + customer, or the sandbox's)."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="payment_methods")
    gateway = models.CharField(max_length=32)
    reference = models.CharField(max_length=191, help_text="The provider's payment method id (pm_...).")
    gateway_customer_id = models.CharField(max_length=191, blank=True, help_text="The provider's customer (cus_...).")
    brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "is_active"], name="billing_savedmethod_owner_idx")]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "reference"], name="billing_saved_method_unique"),
        ]

    def __str__(self):
        return f"{self.brand or 'card'} •••• {self.last4}" if self.last4 else self.reference


class DisputeStatus(models.TextChoices):
    REVERSED = "reversed", "Reversed"
    NEEDS_REVIEW = "needs_review", "Wallet frozen, needs review"
    RESOLVED = "resolved", "Resolved"


class Dispute(models.Model):
    """A chargeback the provider opened on a payment. What the payment posted is reversed; when
    the coins were already spent the player's wallets are frozen and this row is the open finding."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    provider_dispute_id = models.CharField(max_length=191)
    gateway = models.CharField(max_length=32)
    amount = models.DecimalField(**AMOUNT)
    reason = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=DisputeStatus.choices)
    reversal_transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="dispute"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"], name="billing_dispute_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "provider_dispute_id"], name="billing_dispute_once"),
        ]

    def __str__(self):
        return f"Dispute {self.provider_dispute_id} on {self.payment_id}"


class WithdrawalMethod(models.TextChoices):
    BANK = "bank", "Bank transfer"
    PAYPAL = "paypal", "PayPal"
    CRYPTO = "crypto", "Crypto"


class WithdrawalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Withdrawal(models.Model):
    """A payout request. Requesting holds the amount; failing or cancelling releases it. Accounting
    approves it; above the threshold (or flagged) a second accounting user approves it too."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="withdrawals")
    amount = models.DecimalField(**AMOUNT)
    currency = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=16, choices=WithdrawalMethod.choices)
    status = FSMField(max_length=16, choices=WithdrawalStatus.choices, default=WithdrawalStatus.PENDING, protected=True)
    bank_details = EncryptedJSONField(null=True, blank=True)
    # Encrypted fields store an empty value as NULL, so optional ones are nullable.
    paypal_email = EncryptedCharField(max_length=255, null=True, blank=True)
    crypto_address = EncryptedCharField(max_length=255, null=True, blank=True)
    hold_transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawal_hold"
    )
    release_transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawal_release"
    )
    payout_transfer = models.OneToOneField(
        "ledger.Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawal_payout"
    )
    requires_second_approval = models.BooleanField(default=False)
    flag_reason = models.CharField(max_length=255, blank=True, help_text="Why the request needs a closer look.")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    gateway = models.CharField(max_length=32, default="sandbox")
    gateway_reference = models.CharField(max_length=191, blank=True, help_text="The provider's payout id.")
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["customer"], name="idx_withdrawals_user_id"),
            models.Index(fields=["status"], name="idx_withdrawals_status"),
            models.Index(fields=["created_at"], name="idx_withdrawals_created_at"),
            models.Index(fields=["method"], name="billing_withdrawal_method_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_withdrawal_amount_positive"),
            models.CheckConstraint(
                condition=Q(second_approved_by__isnull=True) | ~Q(second_approved_by=models.F("approved_by")),
                name="billing_withdrawal_two_approvers",
            ),
        ]

    def __str__(self):
        return f"Withdrawal {self.amount} {self.currency}"

    @property
    def awaiting(self) -> str:
        """What a pending withdrawal waits for: "approval", "second approval" or ""."""
        if self.status != WithdrawalStatus.PENDING:
            return ""
        if self.approved_by_id is None:
            return "approval"
        return "second approval" if self.requires_second_approval and self.second_approved_by_id is None else ""

    @transition(field=status, source=WithdrawalStatus.PENDING, target=WithdrawalStatus.PROCESSING)
    def start_processing(self):
        self.processed_at = timezone.now()

    @transition(field=status, source=WithdrawalStatus.PROCESSING, target=WithdrawalStatus.COMPLETED)
    def complete(self, *, payout_transfer=None):
        self.payout_transfer = payout_transfer
        self.completed_at = timezone.now()

    @transition(
        field=status, source=[WithdrawalStatus.PENDING, WithdrawalStatus.PROCESSING], target=WithdrawalStatus.FAILED
    )
    def fail(self, *, reason="", release_transfer=None):
        self.failure_reason = reason
        self.release_transfer = release_transfer

    @transition(field=status, source=WithdrawalStatus.PENDING, target=WithdrawalStatus.CANCELLED)
    def cancel(self, *, release_transfer=None):
        self.release_transfer = release_transfer


class WithdrawalStep(models.Model):
    """One step of a withdrawal's life (requested, flagged, approved, paid out...): its audit trail,
    shown to the player in the portal and to staff in the admin."""

    withdrawal = models.ForeignKey(Withdrawal, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=32)
    note = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.step} ({self.created_at:%Y-%m-%d %H:%M})"


class AutoTopUp(models.Model):
    """Seed 003 auto_topup_settings: refill a wallet from a saved payment method when a spend
    leaves it under the threshold (the job `billing.run_auto_topups`), once per crossing."""

    customer = models.OneToOneField("accounts.Customer", on_delete=models.CASCADE, related_name="auto_topup")
    currency = models.ForeignKey("ledger.Asset", on_delete=models.PROTECT, related_name="+")
    enabled = models.BooleanField(default=False)
    threshold = models.DecimalField(**AMOUNT, default=10)
    amount = models.DecimalField(**AMOUNT, default=25)
    payment_method_id = models.CharField(max_length=255, blank=True)
    saved_method = models.ForeignKey(
        SavedPaymentMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="auto_topups"
    )
    low_balance_threshold = models.DecimalField(
        **AMOUNT,
        null=True,
        blank=True,
        help_text="Notify the player under this balance (seed 003 notification_settings).",
    )
    armed = models.BooleanField(default=True, help_text="False from a crossing's charge until the balance recovers.")
    low_balance_notified = models.BooleanField(default=False)
    in_flight = models.ForeignKey(Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    failures = models.PositiveSmallIntegerField(default=0)
    disabled_reason = models.CharField(max_length=255, blank=True)
    last_triggered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "auto top-up"
        indexes = [
            models.Index(fields=["enabled"], name="billing_autotopup_enabled_idx"),
            models.Index(fields=["created_at"], name="billing_autotopup_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0), name="billing_autotopup_threshold_ok"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_autotopup_amount_positive"),
        ]

    def __str__(self):
        return f"Auto top-up for {self.customer}"


class BankTransfer(Payment):
    """The admin's view of payments that arrived by bank transfer (recorded by accounting)."""

    class Meta:
        proxy = True
        verbose_name = "bank transfer"
