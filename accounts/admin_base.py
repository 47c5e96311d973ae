"""The base every ModelAdmin of the platform inherits.

It carries the two rules that hold in every changelist and form:
- studio staff see only their own studio's rows (`studio_lookup` names the path
  from the model to games.Studio; a model without one is hidden from them);
- money fields are read-only.
"""

from unfold.admin import ModelAdmin, StackedInline, TabularInline

from accounts.models import StaffRole


def staff_studio_id(request):
    """The studio id a studio-role user is bound to, or None for every other user."""
    profile = getattr(request.user, "staff_profile", None)
    if profile is not None and profile.role == StaffRole.STUDIO and not request.user.is_superuser:
        return profile.studio_id
    return None


def is_studio_staff(request) -> bool:
    profile = getattr(request.user, "staff_profile", None)
    return bool(profile and profile.role == StaffRole.STUDIO and not request.user.is_superuser)


class StudioScopedMixin:
    """Limits querysets to the requesting studio user's studio through `studio_lookup`."""

    studio_lookup: str | None = None

    def scope_queryset(self, request, queryset):
        if not is_studio_staff(request):
            return queryset
        if self.studio_lookup is None:
            return queryset.none()
        return queryset.filter(**{self.studio_lookup: staff_studio_id(request)})

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))


class PlatformModelAdmin(StudioScopedMixin, ModelAdmin):
    list_per_page = 50
    show_full_result_count = False
    # Fields holding money; always shown read-only (balances move only through services).
    money_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return tuple(super().get_readonly_fields(request, obj)) + tuple(
            f for f in self.money_fields if f not in super().get_readonly_fields(request, obj)
        )


class PlatformTabularInline(StudioScopedMixin, TabularInline):
    extra = 0


class PlatformStackedInline(StudioScopedMixin, StackedInline):
    extra = 0
