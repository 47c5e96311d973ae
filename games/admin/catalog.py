"""The game catalog: studios, games, credit types and packages (with price history).

A game's guid is the partner's secret game_id: shown to its own studio and to admins, never
to support or accounting staff.
"""

from django.contrib import admin, messages

from accounts.admin_base import (
    PlatformHistoryAdmin,
    PlatformModelAdmin,
    PlatformTabularInline,
    is_studio_staff,
    show_saved,
    staff_studio_id,
)
from accounts.models import StaffRole
from games import services
from games.models import CreditType, Game, Package, Studio


def may_see_guid(request) -> bool:
    if request.user.is_superuser:
        return True
    profile = getattr(request.user, "staff_profile", None)
    return profile is not None and profile.role in (StaffRole.ADMIN, StaffRole.STUDIO)


class StudioLimitedForeignKeys:
    """Studio staff pick only their own studio's studio, games and credit types in forms."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        studio_id = staff_studio_id(request)
        if studio_id is not None:
            if db_field.related_model is Studio:
                kwargs["queryset"] = Studio.objects.filter(pk=studio_id)
            elif db_field.related_model is Game:
                kwargs["queryset"] = Game.objects.filter(studio_id=studio_id)
            elif db_field.related_model is CreditType:
                kwargs["queryset"] = CreditType.objects.filter(game__studio_id=studio_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Studio)
class StudioAdmin(PlatformModelAdmin):
    studio_lookup = "pk"
    list_display = ("name", "created_at")
    search_fields = ("name",)
    list_filter = ("created_at",)
    date_hierarchy = "created_at"

    def save_model(self, request, obj, form, change):
        """Through games.services: studio names are unique."""
        name = form.cleaned_data["name"]
        saved = services.update_studio(studio=obj, name=name) if change else services.create_studio(name=name)
        show_saved(obj, saved)


class CreditTypeInline(PlatformTabularInline):
    model = CreditType
    studio_lookup = "game__studio"
    fields = ("name", "label", "exchange_rate", "expiry_days", "asset")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # a credit type needs its ledger asset: created on its own page


class PackageInline(PlatformTabularInline):
    model = Package
    studio_lookup = "game__studio"
    fields = ("name", "label", "credit_type", "credit_value", "gcoin_value", "is_active")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Game)
class GameAdmin(StudioLimitedForeignKeys, PlatformModelAdmin):
    """Games keep no django-simple-history copies: their History page is Django's list of admin changes."""

    studio_lookup = "studio"
    list_display = ("name", "studio", "type", "is_active", "created_at")
    list_filter = ("type", "is_active", "studio")
    search_fields = ("name", "description")
    list_select_related = ("studio",)
    autocomplete_fields = ("studio",)
    date_hierarchy = "created_at"
    readonly_fields = ("guid", "created_at", "updated_at")
    inlines = (CreditTypeInline, PackageInline)
    actions = ("take_off_sale", "put_on_sale")

    def get_fields(self, request, obj=None):
        fields = ["studio", "name", "description", "type", "metadata", "is_active", "created_at", "updated_at"]
        if obj is not None and may_see_guid(request):
            fields.insert(1, "guid")
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        # A game stays with its studio: its partners reach it by guid, its credits and packages stay theirs.
        return (*readonly, "studio") if obj is not None else readonly

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        return (*fields, "=guid") if may_see_guid(request) else fields

    def save_model(self, request, obj, form, change):
        """Through games.services.create_game / update_game (unique names, a studio that never changes)."""
        data = form.cleaned_data
        if change:
            saved = services.update_game(
                game=obj,
                name=data["name"],
                description=data["description"],
                type=data["type"],
                metadata=data["metadata"],
                is_active=data["is_active"],
            )
        else:
            saved = services.create_game(
                studio=data["studio"],
                name=data["name"],
                description=data["description"],
                type=data["type"],
                metadata=data["metadata"],
                is_active=data["is_active"],
            )
        show_saved(obj, saved)

    @admin.action(description="Take off sale", permissions=["change"])
    def take_off_sale(self, request, queryset):
        for game in queryset:
            services.set_active(instance=game, is_active=False)
        self.message_user(request, "Games taken off sale.", messages.SUCCESS)

    @admin.action(description="Put on sale", permissions=["change"])
    def put_on_sale(self, request, queryset):
        for game in queryset:
            services.set_active(instance=game, is_active=True)
        self.message_user(request, "Games put on sale.", messages.SUCCESS)


@admin.register(CreditType)
class CreditTypeAdmin(StudioLimitedForeignKeys, PlatformHistoryAdmin):
    studio_lookup = "game__studio"
    list_display = ("label", "name", "game", "asset", "exchange_rate", "expiry_days")
    list_filter = ("game__studio",)
    search_fields = ("name", "label", "game__name", "asset__code")
    list_select_related = ("game", "asset")
    autocomplete_fields = ("game",)
    raw_id_fields = ()
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        readonly = ("asset", "created_at", "updated_at")
        # The game a credit type belongs to and its asset never change once created.
        return (*readonly, "game") if obj is not None else readonly

    def get_fields(self, request, obj=None):
        return ["game", "name", "label", "exchange_rate", "expiry_days", "icon", "asset", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        """Through games.services: a new credit type gets its ledger asset; a new label is the asset's too."""
        data = form.cleaned_data
        if change:
            saved = services.update_credit_type(
                credit_type=obj,
                name=data["name"],
                label=data["label"],
                exchange_rate=data["exchange_rate"],
                expiry_days=data["expiry_days"],
                icon=obj.icon,
            )
        else:
            saved = services.create_credit_type(
                game=data["game"],
                name=data["name"],
                label=data["label"],
                exchange_rate=data["exchange_rate"],
                expiry_days=data["expiry_days"],
                icon=obj.icon,
            )
        show_saved(obj, saved)


@admin.register(Package)
class PackageAdmin(StudioLimitedForeignKeys, PlatformHistoryAdmin):
    """Packages on sale; the History button lists every price change (django-simple-history)."""

    studio_lookup = "game__studio"
    list_display = ("label", "name", "game", "credit_type", "credit_value", "gcoin_value", "is_active", "updated_at")
    list_filter = ("is_active", "game__studio")
    search_fields = ("name", "label", "game__name")
    list_select_related = ("game", "credit_type__game")
    autocomplete_fields = ("credit_type",)
    date_hierarchy = "created_at"
    history_list_display = ("gcoin_value", "credit_value", "is_active")
    actions = ("take_off_sale", "put_on_sale")

    def get_fields(self, request, obj=None):
        return ["credit_type", "name", "label", "credit_value", "gcoin_value", "icon", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        return ("credit_type",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        """Through games.services: the price is a COIN amount, names are unique in the game."""
        data = form.cleaned_data
        values = {
            "name": data["name"],
            "label": data["label"],
            "credit_value": data["credit_value"],
            "gcoin_value": data["gcoin_value"],
            "is_active": data["is_active"],
            "icon": obj.icon,
        }
        if change:
            saved = services.update_package(package=obj, **values)
        else:
            saved = services.create_package(credit_type=data["credit_type"], **values)
        show_saved(obj, saved)

    @admin.action(description="Take off sale", permissions=["change"])
    def take_off_sale(self, request, queryset):
        for package in queryset:
            services.set_active(instance=package, is_active=False)
        self.message_user(request, "Packages taken off sale.", messages.SUCCESS)

    @admin.action(description="Put on sale", permissions=["change"])
    def put_on_sale(self, request, queryset):
        for package in queryset:
            services.set_active(instance=package, is_active=True)
        self.message_user(request, "Packages put on sale.", messages.SUCCESS)


__all__ = ["CreditTypeAdmin", "GameAdmin", "PackageAdmin", "StudioAdmin", "is_studio_staff"]
