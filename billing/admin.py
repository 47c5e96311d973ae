"""Staff pages of billing. Invoices, payments and withdrawals are born in services and
change state only through admin actions that call billing.services."""

from collections import defaultdict
from decimal import Decimal

from django import forms
from django.contrib import admin
from unfold.widgets import UnfoldAdminTextareaWidget

from accounts.admin_base import (
    CUSTOMER_SEARCH,
    PlatformHistoryAdmin,
    PlatformModelAdmin,
    PlatformTabularInline,
    ReadOnlyAdmin,
    action_confirmation_page,
    action_confirmed,
    run_service,
    show_saved,
)
from billing import services
from billing.models import (
    AutoTopUp,
    BankTransfer,
    CoinPack,
    Dispute,
    GatewayEvent,
    Invoice,
    InvoiceItem,
    Payment,
    Product,
    SandboxEvent,
    SavedPaymentMethod,
    Subscription,
    Withdrawal,
    WithdrawalStatus,
    WithdrawalStep,
)

COIN_PACK_FIELDS = ("name", "currency", "price", "coins", "bonus_coins", "is_active", "sort_order")

PRODUCT_FIELDS = (
    "name",
    "slug",
    "description",
    "product_type",
    "nest",
    "egg",
    "currency",
    "price",
    "setup_fee",
    "billing_cycle",
    "memory",
    "disk",
    "cpu",
    "databases_limit",
    "backups_limit",
    "is_active",
)


@admin.register(Product)
class ProductAdmin(PlatformHistoryAdmin):
    list_display = ("name", "product_type", "price", "currency", "billing_cycle", "is_active")
    list_filter = ("is_active", "product_type", "billing_cycle")
    search_fields = ("name", "slug", "description")
    list_select_related = ("currency", "nest", "egg")
    raw_id_fields = ("nest", "egg", "currency")
    prepopulated_fields = {"slug": ("name",)}
    date_hierarchy = "created_at"
    fields = PRODUCT_FIELDS

    def save_model(self, request, obj, form, change):
        """Through billing.services: prices in the currency's places, a currency customers pay in,
        an egg of the product's nest, a unique slug."""
        values = {name: form.cleaned_data[name] for name in PRODUCT_FIELDS}
        saved = services.update_product(product=obj, **values) if change else services.create_product(**values)
        show_saved(obj, saved)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    """What each server is billed as, read-only: a subscription is created when a server is ordered,
    and its status and next due date move only through the billing services of the renewals issue."""

    list_display = ("server", "product", "price", "billing_cycle", "status", "next_due_at")
    list_filter = ("status", "billing_cycle")
    search_fields = ("server__name", "product__name", "server__customer__user__username")
    list_select_related = ("server", "product")
    raw_id_fields = ("server",)
    autocomplete_fields = ("product",)
    money_fields = ("price",)
    date_hierarchy = "next_due_at"


class InvoiceItemInline(PlatformTabularInline):
    model = InvoiceItem
    fields = ("description", "product", "server", "quantity", "unit_price", "amount")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "total", "currency", "status", "due_at", "paid_at")
    list_filter = ("status", "currency")
    search_fields = ("number", "=public_id", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "currency")
    raw_id_fields = ("customer", "subscription", "currency")
    date_hierarchy = "created_at"
    money_fields = ("subtotal", "tax", "total")
    inlines = (InvoiceItemInline,)
    actions = ("mark_overdue", "cancel_invoices")

    @admin.action(description="Mark selected invoices overdue", permissions=["operate"])
    def mark_overdue(self, request, queryset):
        run_service(
            self, request, queryset, lambda i: services.mark_invoice_overdue(invoice=i), "invoices marked overdue"
        )

    @admin.action(description="Cancel selected invoices", permissions=["operate"])
    def cancel_invoices(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda i: services.cancel_invoice(invoice=i, reason=f"by {request.user} in admin"),
            "invoices cancelled",
        )


class GatewayEventInline(PlatformTabularInline):
    """The provider's events about this payment, as received (read-only)."""

    model = GatewayEvent
    fields = ("received_at", "type", "event_id", "outcome")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount",
        required=False,
        min_value=Decimal("0.01"),
        decimal_places=2,
        help_text="Leave empty to refund everything still refundable on each payment.",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=255,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text="Kept on the refund and shown to the player.",
    )


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments complete only on their provider's confirmation (the events listed on each
    payment); staff refund, and approve or reject bank transfers, through billing.services."""

    list_display = (
        "public_id",
        "customer",
        "type",
        "amount",
        "currency",
        "status",
        "gateway",
        "refunded_amount",
        "created_at",
    )
    list_filter = ("status", "type", "payment_method", "gateway")
    search_fields = ("=public_id", "gateway_reference", "provider_payment_id", "invoice__number", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "currency")
    raw_id_fields = ("customer", "invoice", "currency", "wallet", "transfer", "coin_pack", "refund_of", "saved_method")
    date_hierarchy = "created_at"
    money_fields = ("amount", "coins", "refunded_amount")
    inlines = (GatewayEventInline,)
    actions = ("refund_payments", "approve_bank_payments", "reject_bank_payments", "cancel_payments")

    @admin.action(description="Refund selected payments (full or partial, with a reason)", permissions=["operate"])
    def refund_payments(self, request, queryset):
        """Asks how much and why first; each refund posts through billing.services.refund_payment."""
        payments = list(queryset.select_related("customer__user", "currency"))
        form = RefundForm(request.POST if action_confirmed(request) else None)
        if not form.is_valid():
            return action_confirmation_page(
                self,
                request,
                payments,
                title="Refund payments",
                intro="The refund goes back to the payer at the provider, and what the payment credited "
                "(coins or wallet money) is taken back. A player who already spent it cannot be refunded.",
                headers=["Payment", "Player", "Amount", "Refunded", "Currency", "Status"],
                rows=[
                    [p.public_id, p.customer, p.amount, p.refunded_amount, p.currency.code, p.get_status_display()]
                    for p in payments
                ],
                form=form,
                submit="Refund",
                danger=True,
            )
        amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
        run_service(
            self,
            request,
            payments,
            lambda p: services.refund_payment(
                payment=p,
                amount=amount if amount is not None else p.amount - p.refunded_amount,
                reason=reason,
                by=request.user,
            ),
            "payments refunded",
        )
        return None

    @admin.action(description="Approve selected bank transfers (second accounting user)", permissions=["operate"])
    def approve_bank_payments(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.approve_bank_payment(payment=p, approved_by=request.user),
            "bank transfers approved",
        )

    @admin.action(description="Reject selected bank transfers", permissions=["operate"])
    def reject_bank_payments(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.reject_bank_payment(
                payment=p, rejected_by=request.user, reason=f"rejected by {request.user}"
            ),
            "bank transfers rejected",
        )

    @admin.action(description="Cancel selected pending payments (nothing is posted)", permissions=["operate"])
    def cancel_payments(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.cancel_payment(payment=p, reason=f"cancelled by {request.user}"),
            "payments cancelled",
        )


class BankTransferForm(forms.ModelForm):
    reference = forms.CharField(max_length=191, help_text="The bank's reference of the incoming transfer.")

    class Meta:
        model = BankTransfer
        fields = ("customer", "currency", "amount")


@admin.register(BankTransfer)
class BankTransferAdmin(ReadOnlyAdmin):
    """Accounting records a bank transfer that arrived: a top-up of the player's wallet, posted at
    once up to BANK_PAYMENT_APPROVAL_THRESHOLD, waiting for a second accounting user above it."""

    form = BankTransferForm
    list_display = ("public_id", "customer", "amount", "currency", "status", "recorded_by", "approved_by", "created_at")
    # No status or date filter: a proxy declares no indexes of its own (the payment list has both).
    list_filter = ("currency",)
    search_fields = ("=public_id", "gateway_reference", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "currency", "recorded_by", "approved_by")
    raw_id_fields = ("customer",)
    actions = ("approve_bank_payments", "reject_bank_payments")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(gateway="bank")

    def has_add_permission(self, request, obj=None):
        return super(ReadOnlyAdmin, self).has_add_permission(request)

    def get_fields(self, request, obj=None):
        return ("customer", "currency", "amount", "reference") if obj is None else ("customer", "amount", "currency")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("customer", "amount", "currency")

    def save_model(self, request, obj, form, change):
        """Through billing.services.record_bank_payment: accounting role, fiat, the threshold's second approver."""
        saved = services.record_bank_payment(
            customer=form.cleaned_data["customer"],
            amount=form.cleaned_data["amount"],
            currency=form.cleaned_data["currency"],
            reference=form.cleaned_data["reference"],
            recorded_by=request.user,
        )
        show_saved(obj, saved)

    approve_bank_payments = PaymentAdmin.approve_bank_payments
    reject_bank_payments = PaymentAdmin.reject_bank_payments


@admin.register(CoinPack)
class CoinPackAdmin(PlatformHistoryAdmin):
    list_display = ("name", "price", "currency", "coins", "bonus_coins", "is_active", "sort_order")
    list_filter = ("is_active", "currency")
    search_fields = ("name",)
    list_select_related = ("currency",)
    raw_id_fields = ("currency",)
    fields = COIN_PACK_FIELDS

    def save_model(self, request, obj, form, change):
        """Through billing.services: a fiat price in its places, coins in GCoin's, bonus 0 or more."""
        values = {name: form.cleaned_data[name] for name in COIN_PACK_FIELDS}
        saved = services.update_coin_pack(coin_pack=obj, **values) if change else services.create_coin_pack(**values)
        show_saved(obj, saved)


@admin.register(GatewayEvent)
class GatewayEventAdmin(ReadOnlyAdmin):
    """Every event a provider sent, once per event id, with what it did."""

    list_display = ("received_at", "gateway", "type", "event_id", "payment", "outcome")
    list_filter = ("gateway", "type")
    search_fields = ("event_id", "=payment__public_id", "outcome")
    list_select_related = ("payment__currency",)
    raw_id_fields = ("payment",)
    date_hierarchy = "received_at"


@admin.register(SandboxEvent)
class SandboxEventAdmin(ReadOnlyAdmin):
    """The sandbox gateway's outgoing events: delivered, or waiting for the retry job."""

    list_display = ("created_at", "event_id", "payment", "attempts", "delivered_at", "last_error")
    list_filter = (("delivered_at", admin.EmptyFieldListFilter),)
    search_fields = ("event_id", "=payment__public_id")
    list_select_related = ("payment__currency",)
    raw_id_fields = ("payment",)


@admin.register(SavedPaymentMethod)
class SavedPaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("customer", "gateway", "brand", "last4", "is_active", "created_at")
    list_filter = ("gateway",)
    search_fields = ("reference", "gateway_customer_id", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    """Chargebacks; "needs review" ones froze the player's wallets because the coins were spent."""

    list_display = ("created_at", "payment", "gateway", "amount", "status", "reason")
    list_filter = ("status", "gateway")
    search_fields = ("provider_dispute_id", "=payment__public_id")
    list_select_related = ("payment__currency",)
    raw_id_fields = ("payment", "reversal_transfer")
    money_fields = ("amount",)


class WithdrawalFailureForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=255,
        strip=True,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text='Kept on each withdrawal as its failure reason, e.g. "Bank rejected the IBAN".',
    )


class WithdrawalStepInline(PlatformTabularInline):
    model = WithdrawalStep
    fields = ("created_at", "step", "actor", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AwaitingFilter(admin.SimpleListFilter):
    title = "review queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("approval", "Awaiting approval"), ("second", "Awaiting second approval"), ("flagged", "Flagged")]

    def queryset(self, request, queryset):
        pending = queryset.filter(status=WithdrawalStatus.PENDING)
        if self.value() == "approval":
            return pending.filter(approved_by__isnull=True)
        if self.value() == "second":
            return pending.filter(
                approved_by__isnull=False, requires_second_approval=True, second_approved_by__isnull=True
            )
        if self.value() == "flagged":
            return queryset.exclude(flag_reason="")
        return queryset


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    """The review queue: accounting approves (a second, different user above the threshold or when
    flagged); the gateway's payout then completes or fails it. Nobody approves their own."""

    list_display = (
        "public_id",
        "customer",
        "amount",
        "currency",
        "method",
        "status",
        "awaiting",
        "flag_reason",
        "created_at",
    )
    list_filter = (AwaitingFilter, "status", "method", "currency")
    search_fields = ("=public_id", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "currency")
    raw_id_fields = ("customer", "currency", "hold_transfer", "release_transfer", "payout_transfer")
    date_hierarchy = "created_at"
    money_fields = ("amount",)
    inlines = (WithdrawalStepInline,)
    actions = ("approve_withdrawals", "fail_withdrawals", "cancel_withdrawals")

    def _withdrawal_rows(self, withdrawals):
        return [
            [
                w.public_id,
                w.customer,
                f"{w.amount:,.{w.currency.precision}f}",
                w.currency.code,
                w.get_method_display(),
                w.get_status_display(),
                w.awaiting or "-",
            ]
            for w in withdrawals
        ]

    @admin.action(description="Approve selected withdrawals (pays out once fully approved)", permissions=["operate"])
    def approve_withdrawals(self, request, queryset):
        """Money leaves the platform: a page lists what goes out to whom before the service runs."""
        withdrawals = list(queryset.select_related("customer__user", "currency"))
        if not action_confirmed(request):
            going_out = defaultdict(Decimal)
            for w in withdrawals:
                if w.status == WithdrawalStatus.PENDING:
                    going_out[w.currency] += w.amount
            totals = [
                f"To be approved: {amount:,.{currency.precision}f} {currency.code}"
                for currency, amount in going_out.items()
            ]
            return action_confirmation_page(
                self,
                request,
                withdrawals,
                title="Approve withdrawals",
                intro="Once a withdrawal has every approval it needs, the gateway pays it out to the player.",
                headers=["Withdrawal", "Player", "Amount", "Currency", "Method", "Status", "Awaiting"],
                rows=self._withdrawal_rows(withdrawals),
                totals=totals,
                submit="Approve",
            )
        run_service(
            self,
            request,
            withdrawals,
            lambda w: services.approve_withdrawal(withdrawal=w, by=request.user),
            "withdrawals approved",
        )
        return None

    @admin.action(description="Reject/fail selected withdrawals (releases the held amount)", permissions=["operate"])
    def fail_withdrawals(self, request, queryset):
        """Asks why first: the reason is kept on each withdrawal (`failure_reason`)."""
        withdrawals = list(queryset.select_related("customer__user", "currency"))
        form = WithdrawalFailureForm(request.POST if action_confirmed(request) else None)
        if not form.is_valid():
            return action_confirmation_page(
                self,
                request,
                withdrawals,
                title="Fail withdrawals",
                intro="The held amounts go back to the players' wallets. Say why the payout failed.",
                headers=["Withdrawal", "Player", "Amount", "Currency", "Method", "Status", "Awaiting"],
                rows=self._withdrawal_rows(withdrawals),
                form=form,
                submit="Fail withdrawals",
                danger=True,
            )
        reason = form.cleaned_data["reason"]
        run_service(
            self,
            request,
            withdrawals,
            lambda w: services.fail_withdrawal(withdrawal=w, reason=reason, by=request.user),
            "withdrawals failed",
        )
        return None

    @admin.action(description="Cancel selected withdrawals (releases the held amount)", permissions=["operate"])
    def cancel_withdrawals(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda w: services.cancel_withdrawal(withdrawal=w, by=request.user),
            "withdrawals cancelled",
        )


@admin.register(AutoTopUp)
class AutoTopUpAdmin(PlatformModelAdmin):
    list_display = ("customer", "enabled", "threshold", "amount", "currency", "failures", "last_triggered_at")
    list_filter = ("enabled", "currency")
    search_fields = CUSTOMER_SEARCH
    list_select_related = ("customer__user", "currency")
    raw_id_fields = ("customer", "currency")
    readonly_fields = (
        "customer",
        "currency",
        "payment_method_id",
        "saved_method",
        "low_balance_threshold",
        "armed",
        "low_balance_notified",
        "in_flight",
        "failures",
        "disabled_reason",
        "last_triggered_at",
        "created_at",
        "updated_at",
    )
    money_fields = ("threshold", "amount")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        # A player's own setting: staff switch an existing one off or back on.
        return False

    def save_model(self, request, obj, form, change):
        """Through billing.services.configure_auto_topup, which checks the amounts against the currency."""
        stored = type(obj).objects.get(pk=obj.pk)
        saved = services.configure_auto_topup(
            customer=stored.customer,
            currency=stored.currency,
            enabled=form.cleaned_data["enabled"],
            threshold=stored.threshold,
            amount=stored.amount,
            payment_method_id=stored.payment_method_id,
            saved_method=stored.saved_method,
            low_balance_threshold=stored.low_balance_threshold,
        )
        show_saved(obj, saved)
