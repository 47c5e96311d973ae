"""Game-server hosting mirrored from the panels. Not studio data: hidden from studio staff.

Panel sync (games.hosting.sync) writes the mirrors; staff may still correct a mirror row by hand
(the next sync shows the panel's value again), so those admins declare `plain_save`. Servers are
different: they are created, rebuilt, suspended and terminated on the panel through
games.hosting.lifecycle, from the add form, the change form's limits and the actions.
"""

from django import forms
from django.contrib import admin

from accounts.admin_base import (
    PlatformModelAdmin,
    PlatformStackedInline,
    PlatformTabularInline,
    run_service,
    show_saved,
)
from games.admin.secrets import WriteOnlySecretsForm
from games.hosting import lifecycle
from games.models import (
    Allocation,
    DriftFinding,
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

MIRROR = "A mirror of the game panel's {what}: panel sync writes it, a hand correction is overwritten by the next sync."


@admin.register(Location)
class LocationAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="locations")
    list_display = ("short_code", "description", "integration", "external_id", "removed_on_panel_at")
    list_filter = ("integration",)
    list_select_related = ("integration",)
    search_fields = ("short_code", "description")
    date_hierarchy = "created_at"


@admin.register(Node)
class NodeAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="nodes")
    list_display = ("name", "fqdn", "location", "integration", "is_public", "is_maintenance", "memory", "disk")
    list_filter = ("is_public", "is_maintenance", "integration", "location")
    search_fields = ("name", "fqdn")
    list_select_related = ("location", "integration")
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
    list_display = ("name", "author", "integration", "external_id")
    list_filter = ("integration",)
    list_select_related = ("integration",)
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
    list_display = ("name", "nest", "docker_image", "integration")
    list_filter = ("nest", "integration")
    search_fields = ("name", "docker_image")
    list_select_related = ("nest", "integration")
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


class DriftFindingOfServerInline(PlatformTabularInline):
    model = DriftFinding
    fields = ("field", "origin", "our_value", "panel_value", "synced_value", "status", "created_at")
    readonly_fields = fields
    can_delete = False
    max_num = 0
    verbose_name_plural = "drift findings"


LIMITS = lifecycle.LIMIT_FIELDS


class ServerCreateForm(forms.ModelForm):
    """A new server, created on the panel of its egg: the location (or a node) is where it may go."""

    location = forms.ModelChoiceField(queryset=Location.objects.filter(integration__isnull=False), required=False)

    class Meta:
        model = Server
        fields = ("customer", "name", "egg", "location", "node", *LIMITS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["egg"].required = True


@admin.register(Server)
class ServerAdmin(PlatformModelAdmin):
    list_display = ("name", "customer", "status", "pending_action", "node", "egg", "memory", "disk", "created_at")
    list_filter = ("status", "pending_action", "integration", "node")
    search_fields = ("name", "identifier", "=uuid", "customer__user__username", "customer__nickname")
    list_select_related = ("customer__user", "node", "egg")
    autocomplete_fields = ("customer", "node", "egg")
    date_hierarchy = "created_at"
    readonly_fields = (
        "uuid",
        "integration",
        "external_id",
        "identifier",
        "status",
        "pending_action",
        "pending_attempts",
        "pending_next_attempt_at",
        "panel_error",
        "last_panel_response",
        "synced_values",
        "installed_at",
        "suspended_at",
        "terminated_at",
    )
    inlines = (
        ServerVariableInline,
        ServerPropertyInline,
        ServerDatabaseInline,
        ServerBackupInline,
        DriftFindingOfServerInline,
    )
    actions = ("suspend_servers", "unsuspend_servers", "reinstall_servers", "terminate_servers")

    def get_form(self, request, obj=None, change=False, **kwargs):
        """Adding asks what to create on the panel; changing a server changes only its limits (a build change)."""
        if obj is None:
            kwargs["form"] = ServerCreateForm
        return super().get_form(request, obj, change, **kwargs)

    def get_inline_instances(self, request, obj=None):
        """A server gets its variables, databases and backups from the panel once created: no inlines on add."""
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        """The add form is the create request; the change form shows the row, with its limits editable."""
        if obj is None:
            return [(None, {"fields": ("customer", "name", "egg", "location", "node", *LIMITS)})]
        return [
            (None, {"fields": ("name", "customer", "node", "egg", "uuid", "integration", "external_id", "identifier")}),
            ("Limits", {"fields": LIMITS}),
            (
                "On the panel",
                {
                    "fields": (
                        "status",
                        "pending_action",
                        "pending_attempts",
                        "pending_next_attempt_at",
                        "panel_error",
                        "last_panel_response",
                        "synced_values",
                        "installed_at",
                        "suspended_at",
                        "terminated_at",
                    )
                },
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        """Owner, node and egg of an existing server change on the panel (drift findings), not here."""
        readonly = super().get_readonly_fields(request, obj)
        return (*readonly, "name", "customer", "node", "egg") if obj is not None else ()

    def has_add_permission(self, request):
        return super().has_add_permission(request) and request.user.has_perm("games.provision_server")

    def has_operate_server_permission(self, request, obj=None):
        return request.user.has_perm("games.operate_server")

    def has_provision_server_permission(self, request, obj=None):
        return request.user.has_perm("games.provision_server")

    def save_model(self, request, obj, form, change):
        """Creating asks the panel (games.hosting.lifecycle.create_server); changing limits is a build change."""
        data = form.cleaned_data
        limits = {name: data[name] for name in LIMITS}
        if change:
            saved = lifecycle.change_build(server=obj, by=request.user, **limits)
        else:
            saved = lifecycle.create_server(
                customer=data["customer"],
                egg=data["egg"],
                name=data["name"],
                location=data.get("location"),
                node=data.get("node"),
                by=request.user,
                **limits,
            )
        show_saved(obj, saved)

    @admin.action(description="Suspend on the panel", permissions=["operate_server"])
    def suspend_servers(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda s: lifecycle.suspend_server(server=s, by=request.user),
            "servers suspended (or queued)",
        )

    @admin.action(description="Unsuspend on the panel", permissions=["operate_server"])
    def unsuspend_servers(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda s: lifecycle.unsuspend_server(server=s, by=request.user),
            "servers unsuspended (or queued)",
        )

    @admin.action(description="Reinstall on the panel", permissions=["operate_server"])
    def reinstall_servers(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda s: lifecycle.reinstall_server(server=s, by=request.user),
            "servers reinstalling (or queued)",
        )

    @admin.action(description="Terminate (delete on the panel)", permissions=["provision_server"])
    def terminate_servers(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            lambda s: lifecycle.terminate_server(server=s, by=request.user),
            "servers terminated (or queued)",
        )


@admin.register(ServerBackup)
class ServerBackupAdmin(PlatformModelAdmin):
    plain_save = MIRROR.format(what="backups")
    list_display = ("name", "server", "size_bytes", "is_successful", "is_locked", "created_at")
    list_filter = ("is_successful", "is_locked")
    search_fields = ("name", "=uuid", "server__name")
    list_select_related = ("server",)
    autocomplete_fields = ("server",)
    date_hierarchy = "created_at"
