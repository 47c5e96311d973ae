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
    Invoice,
    InvoiceItem,
    Payment,
    Product,
    Subscription,
    Withdrawal,
    WithdrawalStatus,
)

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


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "customer", "type", "amount", "currency", "status", "payment_method", "created_at")
    list_filter = ("status", "type", "payment_method", "gateway")
    search_fields = ("=public_id", "gateway_reference", "invoice__number", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "currency")
    raw_id_fields = ("customer", "invoice", "currency", "wallet", "transfer")
    date_hierarchy = "created_at"
    money_fields = ("amount",)
    actions = ("complete_payments", "fail_payments", "cancel_payments")

    @admin.action(description="Complete selected payments (posts the ledger transfer)", permissions=["operate"])
    def complete_payments(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.complete_payment(payment=p, by=request.user),
            "payments completed",
        )

    @admin.action(description="Mark selected payments failed", permissions=["operate"])
    def fail_payments(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.fail_payment(payment=p, reason=f"marked failed by {request.user}"),
            "payments failed",
        )

    @admin.action(description="Cancel selected payments", permissions=["operate"])
    def cancel_payments(self, request, queryset):
        run_service(self, request, queryset, lambda p: services.cancel_payment(payment=p), "payments cancelled")


class WithdrawalFailureForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=255,
        strip=True,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text='Kept on each withdrawal as its failure reason, e.g. "Bank rejected the IBAN".',
    )


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "customer", "amount", "currency", "method", "status", "created_at")
    list_filter = ("status", "method", "currency")
    search_fields = ("=public_id", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "currency")
    raw_id_fields = ("customer", "currency", "hold_transfer", "release_transfer", "payout_transfer")
    date_hierarchy = "created_at"
    money_fields = ("amount",)
    actions = ("start_processing", "complete_withdrawals", "fail_withdrawals", "cancel_withdrawals")

    @admin.action(description="Start processing selected withdrawals", permissions=["operate"])
    def start_processing(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda w: services.start_withdrawal_processing(withdrawal=w, by=request.user),
            "withdrawals processing",
        )

    def _withdrawal_rows(self, withdrawals):
        return [
            [
                w.public_id,
                w.customer,
                f"{w.amount:,.{w.currency.precision}f}",
                w.currency.code,
                w.get_method_display(),
                w.get_status_display(),
            ]
            for w in withdrawals
        ]

    @admin.action(description="Complete selected withdrawals (paid out by the gateway)", permissions=["operate"])
    def complete_withdrawals(self, request, queryset):
        """Money leaves the platform: a page lists what goes out to whom before the service runs."""
        withdrawals = list(queryset.select_related("customer__user", "currency"))
        if not action_confirmed(request):
            going_out = defaultdict(Decimal)
            for w in withdrawals:
                if w.status == WithdrawalStatus.PROCESSING:
                    going_out[w.currency] += w.amount
            skipped = sum(1 for w in withdrawals if w.status != WithdrawalStatus.PROCESSING)
            totals = [
                f"To be paid out: {amount:,.{currency.precision}f} {currency.code}"
                for currency, amount in going_out.items()
            ]
            if skipped:
                totals.append(f"{skipped} withdrawal(s) not in processing will be refused (invalid_state).")
            return action_confirmation_page(
                self,
                request,
                withdrawals,
                title="Confirm payout",
                intro="The gateway pays these amounts out to the players below. This cannot be undone.",
                headers=["Withdrawal", "Player", "Amount", "Currency", "Method", "Status"],
                rows=self._withdrawal_rows(withdrawals),
                totals=totals,
                submit="Pay out",
            )
        run_service(
            self,
            request,
            withdrawals,
            lambda w: services.complete_withdrawal(withdrawal=w, by=request.user),
            "withdrawals completed",
        )
        return None

    @admin.action(description="Fail selected withdrawals (releases the held amount)", permissions=["operate"])
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
                headers=["Withdrawal", "Player", "Amount", "Currency", "Method", "Status"],
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
    list_display = ("customer", "enabled", "threshold", "amount", "currency", "last_triggered_at")
    list_filter = ("enabled", "currency")
    search_fields = CUSTOMER_SEARCH
    list_select_related = ("customer__user", "currency")
    raw_id_fields = ("customer", "currency")
    readonly_fields = ("customer", "currency", "payment_method_id", "last_triggered_at", "created_at", "updated_at")
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
        )
        show_saved(obj, saved)
