"""Players: profiles (block, unblock, adjust points), metrics and tier history, all read-only records."""

import uuid

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from unfold.widgets import UnfoldAdminTextInputWidget

from accounts.admin_base import (
    CUSTOMER_SEARCH,
    ReadOnlyAdmin,
    action_confirmation_page,
    action_confirmed,
    run_service,
)
from ledger.models import Wallet
from loyalty import services
from loyalty.models import PlayerMetrics, PlayerProfile, RewardGrant, TierChange
from loyalty.services.points import ADJUSTABLE

LOYALTY_ASSETS = ("LP", "RP", "BONUS", "TICKETS")


class AdjustPointsForm(forms.Form):
    currency = forms.ChoiceField(choices=[(c, c) for c in ADJUSTABLE])
    amount = forms.DecimalField(
        max_digits=20, decimal_places=4, help_text="Positive adds, negative deducts.", widget=UnfoldAdminTextInputWidget
    )
    reason = forms.CharField(max_length=500, widget=UnfoldAdminTextInputWidget)
    key = forms.CharField(widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex)


@admin.register(PlayerProfile)
class PlayerProfileAdmin(ReadOnlyAdmin):
    """Profiles are opened by loyalty.services.ensure_player_profile (on registration); segment and
    tier come from the standing job. Staff block and unblock players and adjust points here."""

    list_display = ("customer", "segment", "tier", "risk_score", "is_active", "is_blocked", "last_activity_at")
    list_filter = ("segment", "tier", "is_blocked", "is_active")
    search_fields = CUSTOMER_SEARCH
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)
    readonly_fields = (
        "customer",
        "segment",
        "tier",
        "below_tier_since",
        "risk_score",
        "is_blocked",
        "last_activity_at",
        "balances",
        "metrics_summary",
        "tier_history",
        "recent_grants",
        "created_at",
        "updated_at",
    )
    date_hierarchy = "created_at"
    actions = ("block_players", "unblock_players", "adjust_points")

    @admin.display(description="Balances")
    def balances(self, obj):
        wallets = Wallet.objects.filter(owner_id=obj.customer.user_id, asset__code__in=LOYALTY_ASSETS).select_related(
            "asset"
        )
        shown = {w.asset.code: w.asset.format_amount(w.balance) for w in wallets}
        return " · ".join(f"{code} {shown.get(code, '0')}" for code in LOYALTY_ASSETS)

    @admin.display(description="Metrics")
    def metrics_summary(self, obj):
        metrics = PlayerMetrics.objects.filter(customer_id=obj.customer_id).first()
        if metrics is None:
            return "Not computed yet (the metrics job or the player's first bet computes them)."
        url = reverse("admin:loyalty_playermetrics_change", args=[metrics.pk])
        return format_html(
            '<a href="{}">Deposited {} · wagered {} · won {} · net {} · {} bets · {} sessions</a>',
            url,
            metrics.total_deposited,
            metrics.total_wagered,
            metrics.total_won,
            metrics.net_pnl,
            metrics.total_bets,
            metrics.total_sessions,
        )

    @admin.display(description="Tier history")
    def tier_history(self, obj):
        changes = TierChange.objects.filter(customer_id=obj.customer_id)[:10]
        if not changes:
            return "No tier change yet."
        return format_html_join(
            "",
            "<div>{:%Y-%m-%d} {} → {}: {}</div>",
            ((c.changed_at, c.old_tier, c.new_tier, c.reason) for c in changes),
        )

    @admin.display(description="Recent grants")
    def recent_grants(self, obj):
        grants = RewardGrant.objects.filter(customer_id=obj.customer_id).select_related("rule")[:10]
        if not grants:
            return "No grant yet."
        return format_html_join(
            "",
            '<div><a href="{}">{} {} {}</a> · {}</div>',
            (
                (
                    reverse("admin:loyalty_rewardgrant_change", args=[g.pk]),
                    g.get_reward_type_display(),
                    g.amount,
                    g.currency_type,
                    g.get_status_display(),
                )
                for g in grants
            ),
        )

    @admin.action(description="Block selected players (no rewards, wallets frozen)", permissions=["operate"])
    def block_players(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.set_player_blocked(profile=p, blocked=True, by=request.user),
            "players blocked",
        )

    @admin.action(description="Unblock selected players", permissions=["operate"])
    def unblock_players(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.set_player_blocked(profile=p, blocked=False, by=request.user),
            "players unblocked",
        )

    @admin.action(description="Add or deduct points (with a reason)", permissions=["operate"])
    def adjust_points(self, request, queryset):
        """Asks how much of what and why; each player's move is one ledger transfer naming the staff member."""
        profiles = list(queryset.select_related("customer__user"))
        form = AdjustPointsForm(request.POST if action_confirmed(request) else None)
        if not form.is_valid():
            return action_confirmation_page(
                self,
                request,
                profiles,
                title="Adjust points",
                intro="The same adjustment is posted to each player below, by one ledger transfer each.",
                headers=["Player", "Tier", "Balances"],
                rows=[[p.customer, p.tier, self.balances(p)] for p in profiles],
                form=form,
                submit="Adjust",
            )
        data = form.cleaned_data
        run_service(
            self,
            request,
            profiles,
            lambda p: services.adjust_points(
                customer=p.customer,
                currency=data["currency"],
                amount=data["amount"],
                reason=data["reason"],
                by=request.user,
                idempotency_key=f"{data['key']}:{p.customer_id}",
            ),
            "players adjusted",
        )
        return None


@admin.register(PlayerMetrics)
class PlayerMetricsAdmin(ReadOnlyAdmin):
    """Computed by loyalty.services.metrics from ledger deposits, bets and sessions; never edited."""

    list_display = (
        "customer",
        "total_deposited",
        "total_wagered",
        "total_won",
        "net_pnl",
        "total_sessions",
        "total_bets",
        "bonus_abuse_score",
        "computed_at",
    )
    list_filter = ("last_deposit_at", "last_wager_at")
    search_fields = CUSTOMER_SEARCH
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)
    money_fields = ("total_deposited", "total_wagered", "total_won", "net_pnl", "house_edge_contribution")


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    """Written by loyalty.services.standing with each tier move; the history staff and players see."""

    list_display = ("customer", "old_tier", "new_tier", "reason", "lp_earned", "changed_at")
    list_filter = ("new_tier", "changed_at")
    search_fields = ("reason", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)
    date_hierarchy = "changed_at"
    money_fields = ("lp_earned",)
