"""Game-server hosting mirrored from the panels. Not studio data: hidden from studio staff.

Until panel sync (a later issue) writes these rows, staff enter them by hand, and no rule of the
platform applies to them yet: each admin says so with `plain_save`, and saves them as typed.
"""

from django.contrib import admin

from accounts.admin_base import PlatformModelAdmin, PlatformStackedInline, PlatformTabularInline
from games.admin.secrets import WriteOnlySecretsForm
from games.models import (
    Allocation,
    Egg,
    EggProperty,
    EggVariable,
    Location,
    Nest,
    Node,
    Server,
    ServerBackup,
    ServerDatabase,
    ServerProperty,
    ServerVariable,
)

MIRROR = "A mirror of the game panel's {what}, entered by hand until panel sync owns it: no platform rule applies yet."


@admin.register(Location)
class LocationAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="locations")
    list_display = ("short_code", "description", "panel_type", "external_id")
    list_filter = ("panel_type",)
    search_fields = ("short_code", "description")
    date_hierarchy = "created_at"


@admin.register(Node)
class NodeAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="nodes")
    list_display = ("name", "fqdn", "location", "is_public", "is_maintenance", "memory", "disk")
    list_filter = ("is_public", "is_maintenance", "panel_type", "location")
    search_fields = ("name", "fqdn")
    list_select_related = ("location",)
    autocomplete_fields = ("location",)
    date_hierarchy = "created_at"


@admin.register(Allocation)
class AllocationAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="allocations")
    list_display = ("ip", "port", "alias", "node", "server")
    list_filter = ("node",)
    search_fields = ("ip", "alias", "node__name", "server__name")
    list_select_related = ("node", "server")
    autocomplete_fields = ("node", "server")
    date_hierarchy = "created_at"


@admin.register(Nest)
class NestAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="nests")
    list_display = ("name", "author", "panel_type", "external_id")
    list_filter = ("panel_type",)
    search_fields = ("name", "author")
    date_hierarchy = "created_at"


class EggVariableInline(PlatformTabularInline):
    plain_save = MIRROR.format(what="egg variables")
    model = EggVariable
    fields = ("name", "env_variable", "default_value", "user_viewable", "user_editable", "rules")


class EggPropertyInline(PlatformTabularInline):
    plain_save = MIRROR.format(what="egg properties")
    model = EggProperty
    fields = ("key", "value")


@admin.register(Egg)
class EggAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="eggs")
    list_display = ("name", "nest", "docker_image", "panel_type")
    list_filter = ("nest", "panel_type")
    search_fields = ("name", "docker_image")
    list_select_related = ("nest",)
    autocomplete_fields = ("nest",)
    date_hierarchy = "created_at"
    inlines = (EggVariableInline, EggPropertyInline)


@admin.register(EggVariable)
class EggVariableAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="egg variables")
    list_display = ("env_variable", "name", "egg", "user_editable")
    list_filter = ("user_editable", "user_viewable")
    search_fields = ("env_variable", "name", "egg__name")
    list_select_related = ("egg",)
    autocomplete_fields = ("egg",)
    date_hierarchy = "created_at"


class ServerVariableInline(PlatformTabularInline):
    plain_save = MIRROR.format(what="server variables")
    model = ServerVariable
    fields = ("egg_variable", "value")
    autocomplete_fields = ("egg_variable",)


class ServerPropertyInline(PlatformTabularInline):
    plain_save = MIRROR.format(what="server properties")
    model = ServerProperty
    fields = ("key", "value")


class ServerDatabaseForm(WriteOnlySecretsForm):
    secret_fields = ("password",)

    class Meta:
        model = ServerDatabase
        fields = ("database", "username", "password", "host", "port", "remote", "max_connections")


class ServerDatabaseInline(PlatformStackedInline):
    plain_save = MIRROR.format(what="server databases")
    model = ServerDatabase
    form = ServerDatabaseForm


class ServerBackupInline(PlatformTabularInline):
    model = ServerBackup
    fields = ("name", "size_bytes", "is_successful", "is_locked", "completed_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Server)
class ServerAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="servers")
    list_display = ("name", "customer", "status", "node", "egg", "memory", "disk", "created_at")
    list_filter = ("status", "panel_type", "node")
    search_fields = ("name", "identifier", "=uuid", "customer__user__username", "customer__nickname")
    list_select_related = ("customer__user", "node", "egg")
    autocomplete_fields = ("customer", "node", "egg")
    date_hierarchy = "created_at"
    readonly_fields = ("uuid", "status", "installed_at", "suspended_at", "terminated_at")
    inlines = (ServerVariableInline, ServerPropertyInline, ServerDatabaseInline, ServerBackupInline)


@admin.register(ServerBackup)
class ServerBackupAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="backups")
    list_display = ("name", "server", "size_bytes", "is_successful", "is_locked", "created_at")
    list_filter = ("is_successful", "is_locked")
    search_fields = ("name", "=uuid", "server__name")
    list_select_related = ("server",)
    autocomplete_fields = ("server",)
    date_hierarchy = "created_at"
