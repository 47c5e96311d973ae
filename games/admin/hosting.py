"""Game-server hosting mirrored from the panels. Not studio data: hidden from studio staff."""

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


@admin.register(Location)
class LocationAdmin(PlatformModelAdmin):
    list_display = ("short_code", "description", "panel_type", "external_id")
    list_filter = ("panel_type",)
    search_fields = ("short_code", "description")
    date_hierarchy = "created_at"


@admin.register(Node)
class NodeAdmin(PlatformModelAdmin):
    list_display = ("name", "fqdn", "location", "is_public", "is_maintenance", "memory", "disk")
    list_filter = ("is_public", "is_maintenance", "panel_type", "location")
    search_fields = ("name", "fqdn")
    list_select_related = ("location",)
    autocomplete_fields = ("location",)
    date_hierarchy = "created_at"


@admin.register(Allocation)
class AllocationAdmin(PlatformModelAdmin):
    list_display = ("ip", "port", "alias", "node", "server")
    list_filter = ("node",)
    search_fields = ("ip", "alias", "node__name", "server__name")
    list_select_related = ("node", "server")
    autocomplete_fields = ("node", "server")
    date_hierarchy = "created_at"


@admin.register(Nest)
class NestAdmin(PlatformModelAdmin):
    list_display = ("name", "author", "panel_type", "external_id")
    list_filter = ("panel_type",)
    search_fields = ("name", "author")
    date_hierarchy = "created_at"


class EggVariableInline(PlatformTabularInline):
    model = EggVariable
    fields = ("name", "env_variable", "default_value", "user_viewable", "user_editable", "rules")


class EggPropertyInline(PlatformTabularInline):
    model = EggProperty
    fields = ("key", "value")


@admin.register(Egg)
class EggAdmin(PlatformModelAdmin):
    list_display = ("name", "nest", "docker_image", "panel_type")
    list_filter = ("nest", "panel_type")
    search_fields = ("name", "docker_image")
    list_select_related = ("nest",)
    autocomplete_fields = ("nest",)
    date_hierarchy = "created_at"
    inlines = (EggVariableInline, EggPropertyInline)


@admin.register(EggVariable)
class EggVariableAdmin(PlatformModelAdmin):
    list_display = ("env_variable", "name", "egg", "user_editable")
    list_filter = ("user_editable", "user_viewable")
    search_fields = ("env_variable", "name", "egg__name")
    list_select_related = ("egg",)
    autocomplete_fields = ("egg",)
    date_hierarchy = "created_at"


class ServerVariableInline(PlatformTabularInline):
    model = ServerVariable
    fields = ("egg_variable", "value")
    autocomplete_fields = ("egg_variable",)


class ServerPropertyInline(PlatformTabularInline):
    model = ServerProperty
    fields = ("key", "value")


class ServerDatabaseForm(WriteOnlySecretsForm):
    secret_fields = ("password",)

    class Meta:
        model = ServerDatabase
        fields = ("database", "username", "password", "host", "port", "remote", "max_connections")


class ServerDatabaseInline(PlatformStackedInline):
    model = ServerDatabase
    form = ServerDatabaseForm


class ServerBackupInline(PlatformTabularInline):
    model = ServerBackup
    fields = ("name", "size_bytes", "is_successful", "is_locked", "completed_at")
    readonly_fields = fields


@admin.register(Server)
class ServerAdmin(PlatformModelAdmin):
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
    list_display = ("name", "server", "size_bytes", "is_successful", "is_locked", "created_at")
    list_filter = ("is_successful", "is_locked")
    search_fields = ("name", "=uuid", "server__name")
    list_select_related = ("server",)
    autocomplete_fields = ("server",)
    date_hierarchy = "created_at"
