"""The base every ModelAdmin of the platform inherits.

It carries the two rules that hold in every changelist and form:
- studio staff see only their own studio's rows (`studio_lookup` names the path
  from the model to games.Studio; a model without one is hidden from them);
- money fields are read-only.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
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


class LargeTablePaginator(Paginator):
    """Pages a large append-only table without a full COUNT(*) on every page.

    An unfiltered changelist on PostgreSQL takes the planner's row estimate once the
    table is big enough for the count to hurt; small tables and filtered lists count.
    """

    estimate_above = 100_000

    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
                )
                row = cursor.fetchone()
            if row and row[0] > self.estimate_above:
                return row[0]
        return super().count


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
