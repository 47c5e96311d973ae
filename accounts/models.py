"""Identity: who logs in (User), players (Customer), staff (StaffProfile), partners.

Seed sources: 000 customer_account / customer_login_password / admin_account /
partner_account, 002 users, 003 users / platforms, 004 users.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from oauth2_provider.models import AbstractApplication


class CaseInsensitiveUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """Everyone who logs in: players, staff and partner owners."""

    email = models.EmailField("email address", max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveUserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]
        # The admin filters people by these flags and by sign-up date.
        indexes = [
            models.Index(fields=["is_active"], name="accounts_user_active_idx"),
            models.Index(fields=["is_staff"], name="accounts_user_staff_idx"),
            models.Index(fields=["is_superuser"], name="accounts_user_superuser_idx"),
            models.Index(fields=["date_joined"], name="accounts_user_joined_idx"),
        ]

    def __str__(self):
        return self.username


class Gender(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"
    OTHER = "other", "Other"


class VipLevel(models.TextChoices):
    STANDARD = "standard", "Standard"
    GOLD = "gold", "Gold"


class Customer(models.Model):
    """A player (seed 000 customer_account). `player_id` is the only id that leaves the server."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customer")
    player_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    nickname = models.CharField(max_length=40, blank=True)
    full_name = models.CharField(max_length=100, blank=True)
    gender = models.CharField(max_length=8, choices=Gender.choices, blank=True, db_index=True)
    avatar = models.FileField(upload_to="avatars/", blank=True)
    vip = models.CharField(max_length=16, choices=VipLevel.choices, null=True, blank=True)
    referral_code = models.CharField(max_length=64, unique=True)
    inviter = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="invitees")
    onboarding_completed = models.BooleanField(default=False, db_index=True)
    pterodactyl_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    virtfusion_id = models.PositiveIntegerField(null=True, blank=True, unique=True)
    is_archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Erasure cannot be undone: its own permission, held only by the admin role (roles.py).
        permissions = [
            ("erase_customer", "Can erase a player's personal data"),
            ("impersonate_customer", "Can view the portal as a player (read-only, time-limited)"),
        ]
        indexes = [
            models.Index(fields=["vip"], name="accounts_customer_vip_idx"),
            models.Index(fields=["is_archived"], name="accounts_customer_archived_idx"),
            models.Index(fields=["created_at"], name="accounts_customer_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_archived=False) | Q(archived_at__isnull=False),
                name="accounts_customer_archived_has_time",
            ),
        ]

    def __str__(self):
        return self.nickname or self.user.username


class StaffRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    SUPPORT = "support", "Support"
    ACCOUNTING = "accounting", "Accounting"
    STUDIO = "studio", "Studio"


class StaffProfile(models.Model):
    """A staff member's role (seed 000 admin_account). Studio staff are bound to one studio."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    role = models.CharField(max_length=16, choices=StaffRole.choices)
    # A string reference: accounts sits below games, so it never imports it.
    studio = models.ForeignKey("games.Studio", on_delete=models.PROTECT, null=True, blank=True, related_name="staff")
    is_archived = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["role"], name="accounts_staff_role_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role="studio") & Q(studio__isnull=False)) | (~Q(role="studio") & Q(studio__isnull=True)),
                name="accounts_staff_studio_iff_studio_role",
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class PartnerKind(models.TextChoices):
    STUDIO = "studio", "Game studio"
    GAME_SERVER = "game_server", "Game server"
    PLATFORM = "platform", "Content platform"


class PlatformType(models.TextChoices):
    VIDEO = "video", "Video"
    LMS = "lms", "Learning management system"
    COURSE = "course", "Course"


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    SUSPENDED = "suspended", "Suspended"


class Partner(models.Model):
    """A business that calls the API (seed 000 partner_account, seed 003 platforms)."""

    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=PartnerKind.choices, default=PartnerKind.STUDIO)
    studio = models.ForeignKey("games.Studio", on_delete=models.PROTECT, null=True, blank=True, related_name="partners")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        help_text="The partner's owner account (seed 003 platforms.user_id).",
    )
    type = models.CharField(max_length=16, choices=PlatformType.choices, blank=True)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=PartnerStatus.choices, default=PartnerStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["type"], name="idx_platforms_type"),
            models.Index(fields=["status"], name="idx_platforms_status"),
            models.Index(fields=["kind"], name="accounts_partner_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="studio") | Q(studio__isnull=False),
                name="accounts_partner_studio_kind_has_studio",
            ),
        ]

    def __str__(self):
        return self.name


class PartnerApplication(AbstractApplication):
    """The OAuth2 client of a partner (swapped in as OAUTH2_PROVIDER_APPLICATION_MODEL).

    `allowed_scopes` is the ceiling: a token never carries a scope outside it.
    The seed's client_id, client_secret (stored hashed) and redirect_uris come
    from django-oauth-toolkit's abstract model.
    """

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="applications")
    allowed_scopes = models.TextField(blank=True, help_text="Space-separated scopes this client may ever hold.")
    default_scopes = models.TextField(blank=True, help_text="Space-separated scopes granted when none are asked.")

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        indexes = [
            models.Index(fields=["authorization_grant_type"], name="accounts_app_grant_type_idx"),
            models.Index(fields=["client_type"], name="accounts_app_client_type_idx"),
            models.Index(fields=["created"], name="accounts_app_created_idx"),
        ]

    def save(self, *args, **kwargs):
        # Client secrets are stored hashed, always: nothing on the platform verifies HS256 ID tokens.
        self.hash_client_secret = True
        super().save(*args, **kwargs)

    @property
    def allowed_scope_set(self) -> set[str]:
        return set(self.allowed_scopes.split())

    @property
    def default_scope_set(self) -> set[str]:
        return set(self.default_scopes.split())


class AuditEntry(models.Model):
    """One change a staff member made (who, what, when, before and after). Never changed.

    Personal fields of players and secrets (encrypted fields, tokens, keys, passwords, webhook
    URLs) are kept out of `before`/`after` (see accounts.audit), so an erasure never has to
    rewrite this append-only table and reading the trail never reveals a credential.

    The one sanctioned write to existing rows is migration accounts.0006_redact_audit_secrets,
    which replaced secrets stored before those rules by the redaction marker (lifting the
    Protect trigger for exactly that trigger and those UPDATEs); nothing else updates or deletes.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    action = models.CharField(max_length=100, help_text="add, change, delete or action:<name>.", db_index=True)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["content_type", "object_id"], name="accounts_audit_object_idx")]
        # Append-only by plain triggers that no session setting switches off (migration 0008).

    def __str__(self):
        return f"{self.action} {self.object_repr}"


class Impersonation(models.Model):
    """A staff member viewing the portal as a player (django-hijack): why, and for how long.

    Read-only and time-boxed (accounts.impersonation.ImpersonationMiddleware); its start and end
    are also in the audit trail. Rows are never edited by hand: accounts.services.impersonation.
    """

    class Ending(models.TextChoices):
        RELEASED = "released", "Stopped by the staff member"
        EXPIRED = "expired", "Time limit reached"

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="impersonations")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="impersonations")
    reason = models.TextField()
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ending = models.CharField(max_length=16, choices=Ending.choices, blank=True, db_index=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["staff", "customer"], condition=Q(ended_at__isnull=True), name="accounts_imp_open_idx")
        ]

    def __str__(self):
        return f"{self.staff} as {self.customer} ({self.started_at:%Y-%m-%d %H:%M})"
