"""Staff pages of the loyalty program. Profiles, metrics, grants and abuse signals are read-only
records whose actions call loyalty.services; tiers and reward rules are edited through it."""

from django.contrib import admin, messages

from accounts.admin_base import CUSTOMER_SEARCH, PlatformHistoryAdmin, ReadOnlyAdmin, run_service, show_saved
from loyalty import services
from loyalty.models import AbuseSignal, PlayerMetrics, PlayerProfile, RewardGrant, RewardRule, Tier


@admin.register(PlayerProfile)
class PlayerProfileAdmin(ReadOnlyAdmin):
    """Profiles are made by loyalty.services.ensure_player_profile; staff block and unblock players here."""

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


@admin.register(PlayerMetrics)
class PlayerMetricsAdmin(ReadOnlyAdmin):
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
class TierAdmin(PlatformHistoryAdmin):
    """The four tiers always exist (loyalty.tiers): staff move their LP ranges and benefits, never add
    or delete one. A new range moves the neighbouring tier's bound with it (set_tier_range)."""

    list_display = ("tier_level", "lp_min", "lp_max")
    list_filter = ("tier_level",)
    search_fields = ("tier_level",)
    readonly_fields = ("tier_level",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through loyalty.services.set_tier_range; says which neighbouring tiers moved with it."""
        data = form.cleaned_data
        changed = services.set_tier_range(
            tier=obj, lp_min=data["lp_min"], lp_max=data["lp_max"], benefits=data["benefits"]
        )
        show_saved(obj, changed[0])
        for neighbour in changed[1:]:
            upper = neighbour.lp_max if neighbour.lp_max is not None else "and up"
            self.message_user(request, f"{neighbour} now runs from {neighbour.lp_min} to {upper} LP.", messages.WARNING)


@admin.register(RewardRule)
class RewardRuleAdmin(PlatformHistoryAdmin):
    """Reward rules as data: conditions and the reward they describe, checked by loyalty.services.
    Nothing evaluates them yet; the rule engine that issues their grants comes with its own issue."""

    list_display = ("rule_id", "name", "priority", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("rule_id", "name", "description")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # Grants and ledger transfers name the rule by its rule_id.
        return (*readonly, "rule_id") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        """Through loyalty.services: a known reward type, a formula that parses, amounts of 0 or more."""
        data = form.cleaned_data
        values = {
            "name": data["name"],
            "description": data["description"],
            "priority": data["priority"],
            "is_active": data["is_active"],
            "conditions": data["conditions"],
            "reward_config": data["reward_config"],
        }
        if change:
            saved = services.update_reward_rule(rule=obj, **values)
        else:
            saved = services.create_reward_rule(rule_id=data["rule_id"], **values)
        show_saved(obj, saved)


@admin.register(RewardGrant)
class RewardGrantAdmin(ReadOnlyAdmin):
    """Grants are issued by loyalty.services.issue_reward with their ledger transfer; staff cancel them."""

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

    @admin.action(description="Cancel selected rewards (claws back active ones)", permissions=["operate"])
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
class AbuseSignalAdmin(ReadOnlyAdmin):
    """Signals are recorded by loyalty.services.record_abuse_signal; staff resolve them."""

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
