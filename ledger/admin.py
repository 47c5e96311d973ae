"""Ledger admin for the accounting and admin roles.

Transfers and postings are read-only (nobody edits them; the database refuses too).
Money moves only through the service views here: reversal (reason + confirmation),
manual adjustment (maker-checker above the threshold), approval and rejection.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from unfold.decorators import action, display

from accounts.admin_base import LargeTablePaginator, PlatformTabularInline, ReadOnlyAdmin, service_form_page
from ledger import selectors, services
from ledger.errors import LedgerError
from ledger.models import (
    AdjustmentRequest,
    AdjustmentStatus,
    Asset,
    FrozenOwner,
    Posting,
    ReconciliationFinding,
    ReconciliationRun,
    Transfer,
    TransferKind,
    Wallet,
)


@admin.register(Asset)
class AssetAdmin(ReadOnlyAdmin):
    list_display = ("code", "label", "kind", "precision", "created_at")
    search_fields = ("code", "label")
    list_filter = ("kind",)
    date_hierarchy = "created_at"


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    confirm = forms.BooleanField(label="I have checked the postings above and confirm.")


class PostingInline(PlatformTabularInline):
    model = Posting
    fields = ("wallet", "asset_code", "amount", "balance_before_display", "balance_after", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("wallet__asset", "wallet__owner")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @display(description="Asset")
    def asset_code(self, obj):
        return obj.wallet.asset.code

    @display(description="Balance before")
    def balance_before_display(self, obj):
        return obj.balance_before


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "kind", "initiator", "description_short", "created_by", "reversed_flag", "created_at")
    list_filter = ("kind", "created_at")
    search_fields = ("=public_id", "idempotency_key", "reference", "initiator", "description")
    list_select_related = ("created_by", "reversed_by")
    raw_id_fields = ("reverses", "created_by", "application")
    date_hierarchy = "created_at"
    paginator = LargeTablePaginator
    inlines = [PostingInline]
    actions_detail = ["reverse_detail"]
    readonly_fields = (
        "public_id",
        "kind",
        "initiator",
        "idempotency_key",
        "request_hash",
        "description",
        "reference",
        "metadata",
        "reverses",
        "reversed_by_link",
        "created_by",
        "application",
        "created_at",
    )
    fields = readonly_fields

    @display(description="Description")
    def description_short(self, obj):
        return (obj.description or "")[:60]

    @display(description="Reversed", boolean=True)
    def reversed_flag(self, obj):
        return hasattr(obj, "reversed_by")

    @display(description="Reversed by")
    def reversed_by_link(self, obj):
        reversal = getattr(obj, "reversed_by", None)
        if reversal is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:ledger_transfer_change", args=[reversal.pk]), reversal.public_id
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/reverse/",
                self.admin_site.admin_view(self.reverse_view),
                name="ledger_transfer_reverse",
            ),
            *super().get_urls(),
        ]

    def has_reverse_permission(self, request, obj=None):
        return request.user.has_perm("ledger.add_transfer")

    @action(description="Reverse this transfer", url_path="reverse-transfer", permissions=["reverse"])
    def reverse_detail(self, request, object_id):
        return redirect("admin:ledger_transfer_reverse", object_id)

    def reverse_view(self, request, object_id):
        if not self.has_reverse_permission(request):
            raise PermissionDenied
        transfer = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:ledger_transfer_change", args=[transfer.pk])
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reversal = services.reverse_transfer(
                    transfer=transfer, reason=form.cleaned_data["reason"], created_by=request.user
                )
            except LedgerError as exc:
                messages.error(request, f"{exc.message} ({exc.code})")
                return redirect(change_url)
            messages.success(request, f"Transfer reversed by {reversal.public_id}.")
            return redirect("admin:ledger_transfer_change", reversal.pk)
        postings = transfer.postings.select_related("wallet__asset", "wallet__owner")
        summary = [f"{transfer.get_kind_display()} {transfer.public_id} of {transfer.created_at:%Y-%m-%d %H:%M}"] + [
            f"{p.wallet}: {p.amount:+} will be undone by {-p.amount:+}" for p in postings
        ]
        if transfer.kind == TransferKind.REVERSAL or hasattr(transfer, "reversed_by"):
            messages.warning(request, "This transfer is a reversal or already reversed; reversing will be refused.")
        return service_form_page(
            self, request, title="Reverse transfer", form=form, summary=summary, submit="Reverse", obj=transfer
        )


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("id", "transfer", "wallet", "amount", "balance_after", "created_at")
    list_filter = ("wallet__asset__kind",)
    search_fields = ("=transfer__public_id", "wallet__owner__username", "wallet__system_code")
    list_select_related = ("transfer", "wallet__asset", "wallet__owner")
    raw_id_fields = ("transfer", "wallet")
    money_fields = ("amount", "balance_after")
    paginator = LargeTablePaginator


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ("id", "holder", "asset", "balance", "tracks_balance", "allow_negative", "last_updated")
    list_filter = ("asset__kind", "tracks_balance", "allow_negative", "asset")
    search_fields = ("owner__username", "owner__email", "system_code", "asset__code")
    list_select_related = ("owner", "asset")
    raw_id_fields = ("owner", "asset")
    money_fields = ("balance", "average_minute_cost")
    date_hierarchy = "created_at"
    readonly_fields = (
        "asset",
        "owner",
        "system_code",
        "tracks_balance",
        "allow_negative",
        "current_balance",
        "history",
    )

    @display(description="Holder")
    def holder(self, obj):
        return obj.system_code or obj.owner

    @display(description="Balance (sum of postings for hot wallets)")
    def current_balance(self, obj):
        return selectors.wallet_balance(wallet=obj)

    @display(description="Last 20 postings")
    def history(self, obj):
        rows = selectors.wallet_history(wallet=obj)[:20]
        return format_html(
            "<table><tr><th>Transfer</th><th>Amount</th><th>Before</th><th>After</th><th>At</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                ((p.transfer.public_id, p.amount, p.before, p.balance_after, p.created_at) for p in rows),
            ),
        )


class AdjustmentForm(forms.Form):
    wallet = forms.ModelChoiceField(
        queryset=Wallet.objects.select_related("asset", "owner"), widget=forms.NumberInput, help_text="Wallet id"
    )
    amount = forms.CharField(help_text="Signed decimal: 10.00 credits the wallet, -10.00 debits it.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class DecisionForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "wallet", "amount", "status", "requested_by", "approved_by", "created_at", "decided_at")
    list_filter = ("status", "created_at")
    search_fields = ("wallet__owner__username", "reason", "requested_by__username")
    list_select_related = ("wallet__asset", "wallet__owner", "requested_by", "approved_by", "transfer")
    raw_id_fields = ("wallet", "requested_by", "approved_by", "transfer")
    money_fields = ("amount",)
    date_hierarchy = "created_at"
    actions = ["approve_selected"]
    actions_list = ["new_adjustment"]
    actions_detail = ["approve_detail", "reject_detail"]
    readonly_fields = (
        "wallet",
        "amount",
        "reason",
        "status",
        "requested_by",
        "approved_by",
        "transfer",
        "decision_note",
        "created_at",
        "decided_at",
    )

    def has_adjust_permission(self, request, obj=None):
        return request.user.has_perm("ledger.add_adjustmentrequest")

    def has_decide_permission(self, request, obj=None):
        return request.user.has_perm("ledger.change_adjustmentrequest")

    def get_urls(self):
        return [
            path("adjust/", self.admin_site.admin_view(self.adjust_view), name="ledger_adjustmentrequest_adjust"),
            path(
                "<path:object_id>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="ledger_adjustmentrequest_reject",
            ),
            *super().get_urls(),
        ]

    @action(description="Manual adjustment", url_path="new-adjustment", permissions=["adjust"])
    def new_adjustment(self, request):
        return redirect("admin:ledger_adjustmentrequest_adjust")

    def adjust_view(self, request):
        if not self.has_adjust_permission(request):
            raise PermissionDenied
        form = AdjustmentForm(request.POST or None, initial={"wallet": request.GET.get("wallet")})
        if request.method == "POST" and form.is_valid():
            try:
                adjustment = services.adjust_balance(
                    wallet=form.cleaned_data["wallet"],
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    created_by=request.user,
                )
            except LedgerError as exc:
                form.add_error(None, f"{exc.message} ({exc.code})")
            else:
                if adjustment.status == AdjustmentStatus.POSTED:
                    messages.success(request, "Adjustment posted.")
                else:
                    messages.warning(
                        request,
                        f"Above the approval threshold ({services.approval_threshold()}): "
                        "waiting for a second accounting user.",
                    )
                return redirect("admin:ledger_adjustmentrequest_change", adjustment.pk)
        summary = [f"Adjustments above {services.approval_threshold()} wait for approval by another accounting user."]
        return service_form_page(self, request, title="Manual adjustment", form=form, summary=summary, submit="Submit")

    def _approve(self, request, adjustment) -> bool:
        try:
            services.approve_adjustment(request=adjustment, approved_by=request.user)
        except LedgerError as exc:
            messages.error(request, f"Adjustment {adjustment.pk}: {exc.message} ({exc.code})")
            return False
        messages.success(request, f"Adjustment {adjustment.pk} approved and posted.")
        return True

    @admin.action(description="Approve and post selected adjustments", permissions=["decide"])
    def approve_selected(self, request, queryset):
        for adjustment in queryset.filter(status=AdjustmentStatus.PENDING):
            self._approve(request, adjustment)

    @action(description="Approve and post", url_path="approve-adjustment", permissions=["decide"])
    def approve_detail(self, request, object_id):
        adjustment = get_object_or_404(self.get_queryset(request), pk=object_id)
        if request.method != "POST":
            summary = [f"{adjustment.wallet}: {adjustment.amount:+}", f"Reason: {adjustment.reason}"]
            form = forms.Form()
            return service_form_page(
                self, request, title="Approve adjustment", form=form, summary=summary, submit="Approve", obj=adjustment
            )
        self._approve(request, adjustment)
        return redirect("admin:ledger_adjustmentrequest_change", adjustment.pk)

    @action(description="Reject", url_path="reject-adjustment", permissions=["decide"])
    def reject_detail(self, request, object_id):
        return redirect("admin:ledger_adjustmentrequest_reject", object_id)

    def reject_view(self, request, object_id):
        if not self.has_decide_permission(request):
            raise PermissionDenied
        adjustment = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.reject_adjustment(request=adjustment, rejected_by=request.user, note=form.cleaned_data["note"])
            except LedgerError as exc:
                messages.error(request, f"{exc.message} ({exc.code})")
            else:
                messages.success(request, "Adjustment rejected.")
            return redirect("admin:ledger_adjustmentrequest_change", adjustment.pk)
        summary = [f"{adjustment.wallet}: {adjustment.amount:+}", f"Reason: {adjustment.reason}"]
        return service_form_page(
            self, request, title="Reject adjustment", form=form, summary=summary, submit="Reject", obj=adjustment
        )


class FindingInline(PlatformTabularInline):
    model = ReconciliationFinding
    fields = ("kind", "wallet", "transfer", "asset", "expected", "actual", "resolved")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("wallet__asset", "wallet__owner", "transfer", "asset")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "finished_at",
        "status",
        "trigger",
        "transfers_checked",
        "wallets_checked",
        "findings_count",
    )
    list_filter = ("status", "trigger")
    search_fields = ("=id",)
    date_hierarchy = "started_at"
    inlines = [FindingInline]
    actions_list = ["run_now"]
    readonly_fields = list_display + ("error",)

    def has_run_permission(self, request, obj=None):
        return request.user.has_perm("ledger.add_reconciliationrun")

    @action(description="Run reconciliation now", url_path="run-now", permissions=["run"])
    def run_now(self, request):
        run = services.reconcile_ledger(trigger="admin")
        messages.info(request, f"Reconciliation {run.pk}: {run.status}, {run.findings_count} findings.")
        return redirect("admin:ledger_reconciliationrun_change", run.pk)


@admin.register(ReconciliationFinding)
class ReconciliationFindingAdmin(ReadOnlyAdmin):
    list_display = ("id", "run", "kind", "wallet", "transfer", "expected", "actual", "resolved", "resolved_by")
    list_filter = ("resolved", "kind")
    search_fields = ("=run__id", "=wallet__id", "=transfer__public_id")
    list_select_related = ("run", "wallet__asset", "wallet__owner", "transfer", "resolved_by")
    raw_id_fields = ("run", "wallet", "transfer", "asset", "resolved_by")
    money_fields = ("expected", "actual")
    date_hierarchy = "resolved_at"
    actions_detail = ["resolve_detail"]
    readonly_fields = (
        "run",
        "kind",
        "wallet",
        "transfer",
        "asset",
        "expected",
        "actual",
        "resolved",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    )

    def has_resolve_permission(self, request, obj=None):
        return request.user.has_perm("ledger.change_reconciliationfinding")

    @action(description="Mark resolved", url_path="resolve-finding", permissions=["resolve"])
    def resolve_detail(self, request, object_id):
        finding = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.resolve_finding(finding=finding, by=request.user, note=form.cleaned_data["note"])
            except LedgerError as exc:
                messages.error(request, f"{exc.message} ({exc.code})")
            else:
                messages.success(request, "Finding resolved.")
            return redirect("admin:ledger_reconciliationfinding_change", finding.pk)
        summary = [f"{finding.get_kind_display()}: expected {finding.expected}, actual {finding.actual}"]
        return service_form_page(self, request, title="Resolve finding", form=form, summary=summary, submit="Resolve")


@admin.register(FrozenOwner)
class FrozenOwnerAdmin(ReadOnlyAdmin):
    list_display = ("user", "reason", "frozen_by", "created_at")
    search_fields = ("user__username", "user__email", "reason")
    list_filter = ("created_at",)
    list_select_related = ("user", "frozen_by")
    raw_id_fields = ("user", "frozen_by")
    date_hierarchy = "created_at"
    actions = ["unfreeze"]

    def has_unfreeze_permission(self, request, obj=None):
        return request.user.has_perm("ledger.change_frozenowner")

    @admin.action(description="Unfreeze the selected users' wallets", permissions=["unfreeze"])
    def unfreeze(self, request, queryset):
        for freeze in queryset.select_related("user"):
            services.set_wallets_frozen(user=freeze.user, frozen=False)
        messages.success(request, "Unfrozen.")
