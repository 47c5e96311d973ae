"""Staff pages of the loyalty program. Computed rows (metrics, grants, signals) are read-only;
every change goes through loyalty.services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_base import CUSTOMER_SEARCH, PlatformModelAdmin, run_service
from loyalty import services
from loyalty.models import AbuseSignal, PlayerMetrics, PlayerProfile, RewardGrant, RewardRule, Tier


class ReadOnlyAdminMixin:
    """Rows written by jobs and services only: viewable, never added or edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PlayerProfile)
class PlayerProfileAdmin(PlatformModelAdmin):
    list_display = ("customer", "segment", "tier", "risk_score", "is_active", "is_blocked", "last_activity_at")
    list_filter = ("segment", "tier", "is_blocked", "is_active")
    search_fields = CUSTOMER_SEARCH
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)
    readonly_fields = (
        "customer",
        "segment",
        "tier",
        "risk_score",
        "is_blocked",
        "last_activity_at",
        "created_at",
        "updated_at",
    )
    date_hierarchy = "created_at"
    actions = ("block_players", "unblock_players")

    def has_add_permission(self, request):
        # Profiles are created with the player and recomputed by the segmentation job.
        return False

    @admin.action(description="Block selected players (no rewards, wallets frozen)")
    def block_players(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.set_player_blocked(profile=p, blocked=True, by=request.user),
            "players blocked",
        )

    @admin.action(description="Unblock selected players")
    def unblock_players(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda p: services.set_player_blocked(profile=p, blocked=False, by=request.user),
            "players unblocked",
        )


@admin.register(PlayerMetrics)
class PlayerMetricsAdmin(ReadOnlyAdminMixin, PlatformModelAdmin):
    list_display = (
        "customer",
        "total_deposited",
        "total_wagered",
        "total_won",
        "net_pnl",
        "total_sessions",
        "bonus_abuse_score",
        "computed_at",
    )
    list_filter = ("last_deposit_at", "last_wager_at")
    search_fields = CUSTOMER_SEARCH
    list_select_related = ("customer__user",)
    raw_id_fields = ("customer",)
    money_fields = ("total_deposited", "total_wagered", "total_won", "net_pnl", "house_edge_contribution")


@admin.register(Tier)
class TierAdmin(SimpleHistoryAdmin, PlatformModelAdmin):
    list_display = ("tier_level", "lp_min", "lp_max")
    list_filter = ("tier_level",)
    search_fields = ("tier_level",)


@admin.register(RewardRule)
class RewardRuleAdmin(SimpleHistoryAdmin, PlatformModelAdmin):
    list_display = ("rule_id", "name", "priority", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("rule_id", "name", "description")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at")


@admin.register(RewardGrant)
class RewardGrantAdmin(PlatformModelAdmin):
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
    list_filter = ("status", "reward_type", "currency_type")
    search_fields = ("=public_id", "rule__rule_id", "period_key", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "rule")
    raw_id_fields = ("customer", "transfer")
    autocomplete_fields = ("rule",)
    date_hierarchy = "created_at"
    money_fields = ("amount", "wagering_required", "wagering_completed", "max_bet")
    actions = ("cancel_grants",)

    def has_add_permission(self, request):
        # Grants are issued by rule evaluation, which also posts their ledger transfer.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.concrete_fields]

    @admin.action(description="Cancel selected rewards (claws back active ones)")
    def cancel_grants(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda g: services.cancel_reward_grant(
                grant=g, reason=f"cancelled in admin by {request.user}", cancelled_by=request.user
            ),
            "rewards cancelled",
        )


@admin.register(AbuseSignal)
class AbuseSignalAdmin(PlatformModelAdmin):
    list_display = ("customer", "signal_type", "severity", "is_resolved", "detected_at", "resolved_by")
    list_filter = ("is_resolved", "severity", "signal_type")
    search_fields = ("signal_type", "description", *CUSTOMER_SEARCH)
    list_select_related = ("customer__user", "resolved_by")
    raw_id_fields = ("customer", "resolved_by")
    date_hierarchy = "detected_at"
    readonly_fields = ("is_resolved", "resolved_at", "resolved_by", "detected_at")
    actions = ("resolve_signals",)

    def has_add_permission(self, request):
        # Signals come from detection jobs.
        return False

    @admin.action(description="Resolve selected signals")
    def resolve_signals(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda s: services.resolve_abuse_signal(signal=s, resolved_by=request.user),
            "signals resolved",
        )
