"""Game-server hosting mirrored from the panels (seed 004 schema_02 and schema_03)."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, FSMField, transition
from encrypted_fields.fields import EncryptedCharField


class PanelType(models.TextChoices):
    PTERODACTYL = "pterodactyl", "Pterodactyl"
    VIRTFUSION = "virtfusion", "Virtfusion"


class PanelMirror(models.Model):
    """A row mirrored from a panel: which panel connection it belongs to, and its id there.

    Unique on (integration, external_id), so two panels' id 1 never collide. A row the panel no
    longer lists is marked `removed_on_panel_at`, never deleted: a subscription or a ticket may
    still name it.
    """

    integration = models.ForeignKey(
        "games.Integration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mirrored_%(class)ss",
        help_text="The panel connection this row is mirrored from; empty for a row entered by hand.",
    )
    panel_type = models.CharField(max_length=16, choices=PanelType.choices, default=PanelType.PTERODACTYL)
    external_id = models.PositiveIntegerField(null=True, blank=True, help_text="Id of this row in the panel.")
    removed_on_panel_at = models.DateTimeField(
        null=True, blank=True, help_text="When a sync last found this row gone from the panel."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def _panel_unique(name):
    return models.UniqueConstraint(
        fields=["integration", "external_id"], condition=Q(external_id__isnull=False), name=name
    )


class Location(PanelMirror):
    short_code = models.CharField(max_length=60)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["short_code"]
        constraints = [_panel_unique("games_location_integration_unique")]

    def __str__(self):
        return self.short_code


class Node(PanelMirror):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="nodes")
    name = models.CharField(max_length=191)
    fqdn = models.CharField(max_length=255)
    scheme = models.CharField(max_length=8, default="https")
    is_public = models.BooleanField(default=True, db_index=True)
    is_maintenance = models.BooleanField(default=False)
    memory = models.PositiveIntegerField(help_text="MiB")
    memory_overallocate = models.IntegerField(default=0)
    disk = models.PositiveIntegerField(help_text="MiB")
    disk_overallocate = models.IntegerField(default=0)
    cpu = models.PositiveIntegerField(default=0, help_text="Percent of one core; 0 for unlimited")

    class Meta:
        ordering = ["name"]
        constraints = [_panel_unique("games_node_integration_unique")]
        indexes = [models.Index(fields=["is_maintenance"], name="games_node_maintenance_idx")]

    def __str__(self):
        return self.name


class Allocation(PanelMirror):
    """An IP:port on a node, optionally assigned to a server."""

    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="allocations")
    server = models.ForeignKey(
        "games.Server", on_delete=models.SET_NULL, null=True, blank=True, related_name="allocations"
    )
    ip = models.GenericIPAddressField()
    port = models.PositiveIntegerField()
    alias = models.CharField(max_length=255, blank=True)
    notes = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["node", "ip", "port"]
        constraints = [
            models.UniqueConstraint(fields=["node", "ip", "port"], name="games_allocation_node_ip_port_unique"),
            models.CheckConstraint(condition=Q(port__gte=1) & Q(port__lte=65535), name="games_allocation_port_range"),
            _panel_unique("games_allocation_integration_unique"),
        ]

    def __str__(self):
        return f"{self.ip}:{self.port}"


class Nest(PanelMirror):
    name = models.CharField(max_length=191)
    description = models.TextField(blank=True)
    author = models.CharField(max_length=191, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [_panel_unique("games_nest_integration_unique")]

    def __str__(self):
        return self.name


class Egg(PanelMirror):
    nest = models.ForeignKey(Nest, on_delete=models.PROTECT, related_name="eggs")
    name = models.CharField(max_length=191)
    description = models.TextField(blank=True)
    docker_image = models.CharField(max_length=255, blank=True)
    docker_images = models.JSONField(
        default=dict, blank=True, help_text="The egg's images by label, as the panel lists them."
    )
    startup = models.TextField(blank=True)

    class Meta:
        ordering = ["nest__name", "name"]
        constraints = [_panel_unique("games_egg_integration_unique")]

    def __str__(self):
        return self.name


class EggVariable(PanelMirror):
    egg = models.ForeignKey(Egg, on_delete=models.CASCADE, related_name="variables")
    name = models.CharField(max_length=191)
    description = models.TextField(blank=True)
    env_variable = models.CharField(max_length=191)
    default_value = models.TextField(blank=True)
    user_viewable = models.BooleanField(default=True, db_index=True)
    user_editable = models.BooleanField(default=False, db_index=True)
    rules = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["egg", "name"]
        constraints = [
            models.UniqueConstraint(fields=["egg", "env_variable"], name="games_egg_variable_env_unique"),
            _panel_unique("games_eggvariable_integration_unique"),
        ]

    def __str__(self):
        return self.env_variable


class EggProperty(models.Model):
    egg = models.ForeignKey(Egg, on_delete=models.CASCADE, related_name="properties")
    key = models.CharField(max_length=191)
    value = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "egg properties"
        constraints = [models.UniqueConstraint(fields=["egg", "key"], name="games_egg_property_key_unique")]

    def __str__(self):
        return self.key


class ServerStatus(models.TextChoices):
    """The panel's statuses (installing, install_failed, reinstall_failed, suspended, restoring_backup;
    none while it runs), plus ours: pending (not yet on the panel) and terminated (gone from it)."""

    PENDING = "pending", "Pending on the panel"
    INSTALLING = "installing", "Installing"
    INSTALL_FAILED = "install_failed", "Install failed"
    REINSTALL_FAILED = "reinstall_failed", "Reinstall failed"
    RESTORING_BACKUP = "restoring_backup", "Restoring a backup"
    RUNNING = "running", "Running"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class PendingAction(models.TextChoices):
    """A lifecycle call the panel has not taken yet (it was down): the retry job sends it again."""

    NONE = "", "None"
    CREATE = "create", "Create"
    SUSPEND = "suspend", "Suspend"
    UNSUSPEND = "unsuspend", "Unsuspend"
    REINSTALL = "reinstall", "Reinstall"
    BUILD = "build", "Change build"
    TERMINATE = "terminate", "Terminate"


class Server(PanelMirror):
    """A customer's game server on a panel. Its status moves only through the transitions below,
    called by games.hosting.lifecycle (our calls to the panel) and games.hosting.sync (the panel's word).

    `synced_values` keeps the drift-watched fields as the last sync left them on both sides, so
    the next sync tells a change on the panel from a change here (games.hosting.drift).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="servers")
    node = models.ForeignKey(Node, on_delete=models.PROTECT, null=True, blank=True, related_name="servers")
    egg = models.ForeignKey(Egg, on_delete=models.PROTECT, null=True, blank=True, related_name="servers")
    identifier = models.CharField(max_length=32, blank=True, help_text="Short id in the panel.")
    name = models.CharField(max_length=191)
    description = models.TextField(blank=True)
    status = FSMField(max_length=16, choices=ServerStatus.choices, default=ServerStatus.INSTALLING, protected=True)
    memory = models.PositiveIntegerField(default=1024, help_text="MiB")
    swap = models.IntegerField(default=0, help_text="MiB; -1 for unlimited")
    disk = models.PositiveIntegerField(default=5120, help_text="MiB")
    io = models.PositiveIntegerField(default=500)
    cpu = models.PositiveIntegerField(default=100, help_text="Percent of one core")
    databases_limit = models.PositiveIntegerField(default=0)
    backups_limit = models.PositiveIntegerField(default=0)
    allocations_limit = models.PositiveIntegerField(default=1)
    default_allocation = models.ForeignKey(
        "games.Allocation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    docker_image = models.CharField(max_length=255, blank=True)
    startup = models.TextField(blank=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    terminated_at = models.DateTimeField(null=True, blank=True)
    synced_values = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    pending_action = models.CharField(max_length=16, choices=PendingAction.choices, default="", blank=True)
    pending_payload = models.JSONField(default=dict, blank=True)
    pending_attempts = models.PositiveIntegerField(default=0)
    pending_next_attempt_at = models.DateTimeField(null=True, blank=True)
    panel_error = models.TextField(blank=True, help_text="The panel's last refusal or why it could not be reached.")
    last_panel_response = models.JSONField(default=dict, blank=True, help_text="The panel's answer to our last call.")

    class Meta:
        ordering = ["name"]
        constraints = [_panel_unique("games_server_integration_unique")]
        indexes = [
            models.Index(fields=["status"], name="games_server_status_idx"),
            models.Index(fields=["created_at"], name="games_server_created_idx"),
            models.Index(fields=["pending_action"], name="games_server_pending_act_idx"),
            models.Index(
                fields=["pending_next_attempt_at"],
                condition=~Q(pending_action=""),
                name="games_server_pending_idx",
            ),
        ]
        permissions = [
            ("operate_server", "Can suspend, unsuspend and reinstall servers on the panel"),
            ("provision_server", "Can create, rebuild and terminate servers on the panel"),
        ]

    def __str__(self):
        return self.name

    @transition(field=status, source=ServerStatus.PENDING, target=ServerStatus.INSTALLING)
    def mark_created(self):
        pass

    @transition(field=status, source=ServerStatus.INSTALLING, target=ServerStatus.RUNNING)
    def mark_installed(self):
        self.installed_at = timezone.now()

    @transition(field=status, source=ServerStatus.INSTALLING, target=ServerStatus.INSTALL_FAILED)
    def mark_install_failed(self):
        pass

    @transition(field=status, source=ServerStatus.RUNNING, target=ServerStatus.SUSPENDED)
    def suspend(self):
        self.suspended_at = timezone.now()

    @transition(field=status, source=ServerStatus.SUSPENDED, target=ServerStatus.RUNNING)
    def unsuspend(self):
        self.suspended_at = None

    @transition(
        field=status,
        source=[ServerStatus.RUNNING, ServerStatus.INSTALL_FAILED, ServerStatus.REINSTALL_FAILED],
        target=ServerStatus.INSTALLING,
    )
    def reinstall(self):
        pass

    @transition(
        field=status,
        source=[s for s in ServerStatus.values if s != ServerStatus.TERMINATED],
        target=ServerStatus.TERMINATED,
    )
    def terminate(self):
        self.terminated_at = timezone.now()

    @transition(field=status, source="*", target=RETURN_VALUE(*ServerStatus.values))
    def take_panel_status(self, status: str):
        """The panel's status, as a sync or a finding's reconcile found it."""
        if status == ServerStatus.SUSPENDED and not self.suspended_at:
            self.suspended_at = timezone.now()
        elif status != ServerStatus.SUSPENDED:
            self.suspended_at = None
        if status == ServerStatus.RUNNING and not self.installed_at:
            self.installed_at = timezone.now()
        return status


class ServerVariable(models.Model):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="variables")
    egg_variable = models.ForeignKey(EggVariable, on_delete=models.PROTECT, related_name="server_values")
    value = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "egg_variable"], name="games_server_variable_unique"),
        ]

    def __str__(self):
        return f"{self.egg_variable}={self.value}"


class ServerProperty(models.Model):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="properties")
    key = models.CharField(max_length=191)
    value = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "server properties"
        constraints = [models.UniqueConstraint(fields=["server", "key"], name="games_server_property_key_unique")]

    def __str__(self):
        return self.key


class ServerDatabase(PanelMirror):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="databases")
    database = models.CharField(max_length=191)
    username = models.CharField(max_length=191)
    # Null when the panel did not give it (the encrypted field stores an empty value as NULL).
    password = EncryptedCharField(max_length=255, blank=True, null=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=3306)
    remote = models.CharField(max_length=255, default="%")
    max_connections = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["server", "database"], name="games_server_database_unique")]

    def __str__(self):
        return self.database


class ServerBackup(PanelMirror):
    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="backups")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=191)
    size_bytes = models.PositiveBigIntegerField(default=0)
    checksum = models.CharField(max_length=191, blank=True)
    is_successful = models.BooleanField(default=False, db_index=True)
    is_locked = models.BooleanField(default=False, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="games_backup_created_idx")]

    def __str__(self):
        return self.name
