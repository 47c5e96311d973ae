"""Grants and abuse signals. The review queue is the grants changelist filtered to PENDING: rewards
held because the player had unresolved abuse signals; staff release or cancel them with a reason."""

from django import forms
from django.contrib import admin
from unfold.widgets import UnfoldAdminTextInputWidget

from accounts.admin_base import CUSTOMER_SEARCH, ReadOnlyAdmin, action_confirmation_page, action_confirmed, run_service
from loyalty import services
from loyalty.models import AbuseSignal, RewardGrant, RewardStatus


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=UnfoldAdminTextInputWidget)


class ReviewQueueFilter(admin.SimpleListFilter):
    title = "review queue"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("pending", "Waiting for review")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(status=RewardStatus.PENDING)
        return queryset


@admin.register(RewardGrant)
class RewardGrantAdmin(ReadOnlyAdmin):
    """Grants are issued by loyalty.services.issue_reward with their ledger transfer (rules, staff);
    a held one waits PENDING until staff release or cancel it here, each with a reason."""

    list_display = (
        "public_id",
        "customer",
        "rule",
        "reward_type",
        "amount",
        "currency_type",
        "status",
        "wagering_required",
        "wagering_completed",
        "expires_at",
    )
    list_filter = (ReviewQueueFilter, "status", "reward_type", "currency_type")
    search_fields = ("=public_id", "rule__rule_id", "period_key", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "rule")
    raw_id_fields = ("customer", "transfer")
    autocomplete_fields = ("rule",)
    date_hierarchy = "created_at"
    money_fields = ("amount", "wagering_required", "wagering_completed", "max_bet")
    actions = ("release_grants", "cancel_grants")

    def _ask_reason(self, request, grants, *, title, intro, submit, danger=False):
        form = ReasonForm(request.POST if action_confirmed(request) else None)
        if form.is_valid():
            return form.cleaned_data["reason"], None
        page = action_confirmation_page(
            self,
            request,
            grants,
            title=title,
            intro=intro,
            headers=["Grant", "Player", "Rule", "Amount", "Status", "Held because"],
            rows=[
                [
                    g.public_id,
                    g.customer,
                    g.rule or "-",
                    f"{g.amount} {g.currency_type}",
                    g.get_status_display(),
                    g.metadata.get("held", ""),
                ]
                for g in grants
            ],
            form=form,
            submit=submit,
            danger=danger,
        )
        return None, page

    @admin.action(description="Release selected held rewards (the money moves now)", permissions=["operate"])
    def release_grants(self, request, queryset):
        grants = list(queryset.select_related("customer__user", "rule"))
        reason, page = self._ask_reason(
            request,
            grants,
            title="Release held rewards",
            intro="Each reward below is credited to its player now. Say why it may go out.",
            submit="Release",
        )
        if page is not None:
            return page
        run_service(
            self,
            request,
            grants,
            lambda g: services.release_reward_grant(grant=g, reason=reason, released_by=request.user),
            "rewards released",
        )
        return None

    @admin.action(description="Cancel selected rewards (claws back active ones)", permissions=["operate"])
    def cancel_grants(self, request, queryset):
        grants = list(queryset.select_related("customer__user", "rule"))
        reason, page = self._ask_reason(
            request,
            grants,
            title="Cancel rewards",
            intro="Pending rewards are dropped; active ones are clawed back by a reversal. Say why.",
            submit="Cancel rewards",
            danger=True,
        )
        if page is not None:
            return page
        run_service(
            self,
            request,
            grants,
            lambda g: services.cancel_reward_grant(grant=g, reason=reason, cancelled_by=request.user),
            "rewards cancelled",
        )
        return None


@admin.register(AbuseSignal)
class AbuseSignalAdmin(ReadOnlyAdmin):
    """Signals are raised by the detectors (loyalty.services.abuse) or recorded by services; staff
    resolve them. Resolving releases no held reward: the review queue decides each one."""

    list_display = ("customer", "signal_type", "severity", "is_resolved", "detected_at", "resolved_by")
    list_filter = ("is_resolved", "severity", "signal_type")
    search_fields = ("signal_type", "description", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "resolved_by")
    raw_id_fields = ("customer", "resolved_by")
    date_hierarchy = "detected_at"
    readonly_fields = ("is_resolved", "resolved_at", "resolved_by", "detected_at")
    actions = ("resolve_signals",)

    @admin.action(description="Resolve selected signals", permissions=["operate"])
    def resolve_signals(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda s: services.resolve_abuse_signal(signal=s, resolved_by=request.user),
            "signals resolved",
        )
