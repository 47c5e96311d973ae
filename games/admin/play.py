"""Players' sessions and bets, for support and for the studio whose game they were played in; bet limits
(set by platform staff), the house's exposure per period, and the settlements the limits refused."""

from django.contrib import admin

from accounts.admin_base import LargeTablePaginator, PlatformModelAdmin, PlatformTabularInline, run_service, show_saved
from games import services
from games.models import Bet, BetExposure, BetLimit, BetLimitFinding, GameSession


class BetInline(PlatformTabularInline):
    model = Bet
    studio_lookup = "session__game__studio"
    fields = ("public_id", "asset", "amount", "choice", "status", "outcome", "payout", "placed_at", "settled_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    max_num = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("asset")


@admin.register(GameSession)
class GameSessionAdmin(PlatformModelAdmin):
    studio_lookup = "game__studio"
    paginator = LargeTablePaginator
    list_display = ("public_id", "customer", "game", "status", "result", "price_per_minute", "total_cost", "started_at")
    list_filter = ("status", "result", "game__studio", "platform")
    search_fields = (
        "=public_id",
        "=customer__player_id",
        "customer__user__username",
        "customer__nickname",
        "game__name",
    )
    list_select_related = ("customer__user", "game", "asset")
    raw_id_fields = ("customer", "game", "application", "asset")
    date_hierarchy = "started_at"
    money_fields = ("price_per_minute", "reserved_amount", "total_cost")
    readonly_fields = (
        "public_id",
        "customer",
        "game",
        "application",
        "asset",
        "status",
        "result",
        "score",
        "started_at",
        "ended_at",
        "duration_seconds",
        "reservation_count",
        "created_at",
        "content_id",
        "content_title",
        "platform",
        "metadata",
    )
    inlines = (BetInline,)
    actions = ("end_sessions",)

    def has_add_permission(self, request):
        return False  # sessions start through the API

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="End selected sessions (charge the minutes played)", permissions=["change"])
    def end_sessions(self, request, queryset):
        running = queryset.filter(status="in_progress")
        run_service(self, request, running, lambda session: services.end_session(session=session), "session(s) ended")


@admin.register(Bet)
class BetAdmin(PlatformModelAdmin):
    studio_lookup = "session__game__studio"
    paginator = LargeTablePaginator
    list_display = (
        "public_id",
        "player",
        "game",
        "asset",
        "amount",
        "max_payout",
        "status",
        "outcome",
        "payout",
        "placed_at",
    )
    list_filter = ("status", "outcome", "asset", "session__game__studio")
    search_fields = (
        "=public_id",
        "=session__public_id",
        "=session__customer__player_id",
        "session__customer__user__username",
    )
    list_select_related = ("session__customer__user", "session__game", "asset")
    raw_id_fields = ("session", "asset", "stake_transfer", "payout_transfer")
    date_hierarchy = "placed_at"
    money_fields = ("amount", "payout", "max_payout")
    readonly_fields = (
        "public_id",
        "session",
        "asset",
        "odds",
        "choice",
        "status",
        "outcome",
        "is_successful",
        "placed_at",
        "settled_at",
        "stake_transfer",
        "payout_transfer",
        "metadata",
    )
    actions = ("void_bets",)

    @admin.display(ordering="session__customer__nickname")
    def player(self, obj):
        return obj.session.customer

    @admin.display(ordering="session__game__name")
    def game(self, obj):
        return obj.session.game

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Void selected bets (return the stake)", permissions=["change"])
    def void_bets(self, request, queryset):
        run_service(
            self,
            request,
            queryset.filter(status="placed"),
            lambda bet: services.void_bet(bet=bet, reason="Voided by staff", created_by=request.user),
            "bet(s) voided",
        )


@admin.register(BetLimit)
class BetLimitAdmin(PlatformModelAdmin):
    """What a game may pay on bets per asset. Without a limit a game takes no bets in that asset."""

    studio_lookup = "game__studio"
    list_display = ("game", "asset", "max_payout_per_bet", "exposure_limit", "exposure_period", "updated_at")
    list_filter = ("exposure_period", "asset", "game__studio")
    search_fields = ("game__name", "asset__code")
    list_select_related = ("game", "asset")
    autocomplete_fields = ("game",)
    raw_id_fields = ("asset",)
    date_hierarchy = "created_at"
    fields = ("game", "asset", "max_payout_per_bet", "exposure_limit", "exposure_period")

    def get_readonly_fields(self, request, obj=None):
        # A limit belongs to its game and asset for good; only its amounts and period change.
        return ("game", "asset") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """Through games.services.set_bet_limit, which checks the amounts against the asset."""
        saved = services.set_bet_limit(
            game=obj.game,
            asset=obj.asset,
            max_payout_per_bet=form.cleaned_data["max_payout_per_bet"],
            exposure_limit=form.cleaned_data["exposure_limit"],
            exposure_period=form.cleaned_data["exposure_period"],
        )
        show_saved(obj, saved)


@admin.register(BetExposure)
class BetExposureAdmin(PlatformModelAdmin):
    """The house's net result per game, asset and period, as settlement keeps it (read-only)."""

    studio_lookup = "limit__game__studio"
    list_display = ("limit", "period_start", "net_payout", "bets_settled", "updated_at")
    list_filter = ("limit__game__studio", "limit__asset")
    search_fields = ("limit__game__name",)
    list_select_related = ("limit__game", "limit__asset")
    date_hierarchy = "period_start"
    money_fields = ("net_payout",)
    readonly_fields = ("limit", "period_start", "net_payout", "bets_settled", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BetLimitFinding)
class BetLimitFindingAdmin(PlatformModelAdmin):
    """Settlements the game's limits refused. Staff write what they found and tick "resolved"."""

    studio_lookup = "bet__session__game__studio"
    list_display = ("created_at", "bet", "reason", "requested_payout", "cap", "resolved")
    list_filter = ("resolved", "reason", "bet__session__game__studio")
    search_fields = ("=bet__public_id", "bet__session__game__name")
    list_select_related = ("bet", "limit__game")
    raw_id_fields = ("bet", "limit", "application")
    date_hierarchy = "created_at"
    money_fields = ("requested_payout", "cap", "exposure_before")
    fields = (
        "bet",
        "limit",
        "reason",
        "requested_payout",
        "cap",
        "exposure_before",
        "application",
        "created_at",
        "resolved",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    )
    readonly_fields = (
        "bet",
        "limit",
        "reason",
        "application",
        "created_at",
        "resolved",
        "resolved_by",
        "resolved_at",
    )

    def has_add_permission(self, request):
        return False  # written by games.services.settle_bet when it refuses

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "resolution_note") if obj is not None and obj.resolved else readonly

    def save_model(self, request, obj, form, change):
        """A note written on an open finding resolves it, through games.services.resolve_bet_limit_finding
        (a refusal, such as a finding resolved meanwhile, comes back on the form)."""
        if obj.resolved or not form.cleaned_data.get("resolution_note", "").strip():
            return
        saved = services.resolve_bet_limit_finding(
            finding=obj, resolved_by=request.user, note=form.cleaned_data["resolution_note"]
        )
        show_saved(obj, saved)
