"""Players' sessions and bets, for support and for the studio whose game they were played in."""

from django.contrib import admin

from accounts.admin_base import LargeTablePaginator, PlatformModelAdmin, PlatformTabularInline, run_service
from games import services
from games.models import ApiIdempotencyRecord, Bet, GameSession


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
    list_display = ("public_id", "player", "game", "asset", "amount", "status", "outcome", "payout", "placed_at")
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
    money_fields = ("amount", "payout")
    readonly_fields = (
        "public_id",
        "session",
        "asset",
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


@admin.register(ApiIdempotencyRecord)
class ApiIdempotencyRecordAdmin(PlatformModelAdmin):
    """Stored first responses of money-moving API calls (read-only; replays are answered from here)."""

    paginator = LargeTablePaginator
    list_display = ("created_at", "application", "method", "path", "status_code", "key")
    list_filter = ("method", "status_code")
    search_fields = ("=key", "path")
    list_select_related = ("application",)
    raw_id_fields = ("application",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
