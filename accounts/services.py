"""Writes of the accounts app: players, staff roles, archive and erasure, audit, OAuth upkeep."""

import fnmatch
import secrets

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import snapshot
from accounts.models import AuditEntry, Customer, StaffProfile, StaffRole, User
from accounts.signals import customer_archived, customer_erased
from ledger.models import Asset
from ledger.services import user_wallet
from nodebyte_platform.roles import ROLES, group_name

REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ERASED_NICKNAME = "Erased player"


class AccountsError(Exception):
    """A refused accounts operation; `code` is stable for the admin and the API."""

    code = "accounts_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(10))


def register_customer(*, user: User, nickname: str = "", referral_code: str = "", **profile) -> Customer:
    """Make `user` a player: a Customer with a unique referral code, the inviter linked
    when `referral_code` names one, and an empty COIN wallet. Idempotent per user."""
    existing = Customer.objects.filter(user=user).first()
    if existing is not None:
        return existing
    inviter = None
    if referral_code:
        inviter = Customer.objects.filter(referral_code__iexact=referral_code.strip(), is_archived=False).first()
    for _ in range(5):
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    user=user,
                    nickname=nickname or user.username,
                    referral_code=new_referral_code(),
                    inviter=inviter,
                    **profile,
                )
                user_wallet(user=user, asset=Asset.objects.get(code="COIN"))
                return customer
        except IntegrityError:
            if Customer.objects.filter(user=user).exists():
                return Customer.objects.get(user=user)
            continue  # referral code collision: draw another
    raise RuntimeError("Could not draw a unique referral code")


# --- Staff roles --------------------------------------------------------------------------


DEFAULT_ACTIONS = ("view", "add", "change", "delete")


def _codenames_for(actions: tuple[str, ...], model_name: str) -> set[str]:
    codenames = set()
    for action in actions:
        if action.startswith("codename:"):
            codenames.add(action.split(":", 1)[1])
        elif action in DEFAULT_ACTIONS:
            codenames.add(f"{action}_{model_name}")
    return codenames


def role_permissions(role: str) -> list[Permission]:
    """The permissions a role's rules match among the models known right now."""
    rules = ROLES[role]
    wanted = []
    for content_type in ContentType.objects.all():
        for app_pattern, model_pattern, actions in rules:
            if fnmatch.fnmatchcase(content_type.app_label, app_pattern) and fnmatch.fnmatchcase(
                content_type.model, model_pattern
            ):
                wanted.append((content_type.pk, _codenames_for(actions, content_type.model), actions))
    if not wanted:
        return []
    by_ct: dict[int, set[str]] = {}
    everything: set[int] = set()
    custom: set[int] = set()
    for ct_id, codenames, actions in wanted:
        if "*" in actions:
            everything.add(ct_id)
        if "custom" in actions:
            custom.add(ct_id)
        by_ct.setdefault(ct_id, set()).update(codenames)
    perms = []
    for perm in Permission.objects.filter(content_type_id__in=by_ct):
        ct_id = perm.content_type_id
        is_default = perm.codename.split("_", 1)[0] in DEFAULT_ACTIONS
        if ct_id in everything or perm.codename in by_ct[ct_id] or (ct_id in custom and not is_default):
            perms.append(perm)
    return perms


@transaction.atomic
def sync_roles() -> dict[str, int]:
    """Create each role's Group and set its permissions exactly to what roles.py says.

    Idempotent; run by `manage.py sync_roles` and after every `migrate`.
    """
    counts = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=group_name(role))
        perms = role_permissions(role)
        group.permissions.set(perms)
        counts[role] = len(perms)
    return counts


@transaction.atomic
def assign_staff_role(*, profile: StaffProfile) -> StaffProfile:
    """Put the profile's user in exactly its role's Group (and no other role's) and mark it staff."""
    user = profile.user
    role_groups = Group.objects.filter(name__in=[group_name(r) for r in ROLES])
    user.groups.remove(*role_groups)
    group, created = Group.objects.get_or_create(name=group_name(profile.role))
    if created or not group.permissions.exists():
        sync_roles()
    user.groups.add(group)
    active = not profile.is_archived
    if user.is_staff != active:
        user.is_staff = active
        user.save(update_fields=["is_staff"])
    return profile


@transaction.atomic
def create_staff(*, username: str, email: str, role: str, studio=None, password: str | None = None) -> StaffProfile:
    """A new staff member with its role's Group (studio role needs `studio`)."""
    if role not in StaffRole.values:
        raise AccountsError(f"Unknown role {role!r}.", code="invalid_role")
    if (role == StaffRole.STUDIO) != (studio is not None):
        raise AccountsError("A studio user needs a studio; other roles have none.", code="invalid_studio")
    user = User(username=username, email=email, is_staff=True)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    profile = StaffProfile.objects.create(user=user, role=role, studio=studio)
    return assign_staff_role(profile=profile)


# --- Audit ---------------------------------------------------------------------------------


def record_audit(*, actor, action: str, obj, before: dict | None, after: dict | None) -> AuditEntry:
    """Append one audit row. `before`/`after` are accounts.audit snapshots."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action[:100],
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def _audited(*, actor, action: str, obj, change):
    before = snapshot(obj)
    change()
    record_audit(actor=actor, action=action, obj=obj, before=before, after=snapshot(obj))


# --- Archive and erasure -----------------------------------------------------------------


def _end_sessions(user: User) -> None:
    """Sign the user out everywhere (allauth user sessions and Django's session rows)."""
    from allauth.usersessions.models import UserSession

    for session in UserSession.objects.filter(user=user):
        session.end()
    UserSession.objects.filter(user=user).delete()


@transaction.atomic
def archive_customer(*, customer: Customer, actor=None) -> Customer:
    """Archive a player: no login, no money moves, every session ended. Ledger untouched."""
    customer = Customer.objects.select_for_update().select_related("user").get(pk=customer.pk)
    if customer.is_archived:
        return customer
    user = customer.user

    def change():
        customer.is_archived = True
        customer.archived_at = timezone.now()
        customer.save(update_fields=["is_archived", "archived_at", "updated_at"])
        user.is_active = False
        user.save(update_fields=["is_active", "updated_at"])

    _audited(actor=actor, action="archive", obj=customer, change=change)
    _end_sessions(user)
    transaction.on_commit(lambda: customer_archived.send(sender=Customer, customer=customer))
    return customer


@transaction.atomic
def unarchive_customer(*, customer: Customer, actor=None) -> Customer:
    customer = Customer.objects.select_for_update().select_related("user").get(pk=customer.pk)
    if customer.erased_at is not None:
        raise AccountsError("An erased player cannot come back.", code="customer_erased")
    if not customer.is_archived:
        return customer
    user = customer.user

    def change():
        customer.is_archived = False
        customer.archived_at = None
        customer.save(update_fields=["is_archived", "archived_at", "updated_at"])
        user.is_active = True
        user.save(update_fields=["is_active", "updated_at"])

    _audited(actor=actor, action="unarchive", obj=customer, change=change)
    return customer


@transaction.atomic
def erase_customer(*, customer: Customer, actor=None) -> Customer:
    """Erase a player's personal data (right to erasure); archives first.

    Email, username, names, nickname, avatar, social accounts, MFA devices, email addresses,
    sessions and login-attempt logs are replaced or removed. Wallets, transfers and postings
    stay exactly as they were, so every ledger sum still holds. Apps above accounts scrub
    their own rows from the `customer_erased` signal.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    customer = archive_customer(customer=customer, actor=actor)
    customer = Customer.objects.select_for_update().select_related("user").get(pk=customer.pk)
    if customer.erased_at is not None:
        return customer
    user = customer.user
    old_username = user.username
    placeholder = f"erased-{customer.player_id.hex[:12]}"

    def change():
        if customer.avatar:
            customer.avatar.delete(save=False)
        customer.nickname = ERASED_NICKNAME
        customer.full_name = ""
        customer.gender = ""
        customer.avatar = ""
        customer.erased_at = timezone.now()
        customer.save()
        user.username = placeholder
        user.email = f"{placeholder}@erased.invalid"
        user.first_name = ""
        user.last_name = ""
        user.set_unusable_password()
        user.is_active = False
        user.save()

    _audited(actor=actor, action="erase", obj=customer, change=change)
    SocialAccount.objects.filter(user=user).delete()  # tokens cascade
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    _end_sessions(user)
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__iexact=old_username).delete()
    transaction.on_commit(lambda: customer_erased.send(sender=Customer, customer=customer))
    return customer


@transaction.atomic
def send_password_reset(*, user: User, request=None, actor=None) -> None:
    """Email the user allauth's password-reset link (support's 'send password reset')."""
    from allauth.account.forms import ResetPasswordForm

    form = ResetPasswordForm(data={"email": user.email})
    if form.is_valid():
        form.save(request)


# --- OAuth upkeep -------------------------------------------------------------------------


def clear_expired_oauth_tokens() -> None:
    """Delete expired access and refresh tokens, grants and ID tokens (django-oauth-toolkit)."""
    from oauth2_provider.models import clear_expired

    clear_expired()


# --- Provisioning (seed_demo; added by the foundation issue) ------------------------------------


@transaction.atomic
def create_player(*, username: str, email: str, password: str, nickname: str = "") -> Customer:
    """A player as a confirmed sign-up leaves it: usable password, verified primary email, Customer."""
    user = User(username=username, email=email)
    user.set_password(password)
    user.save()
    mark_email_verified(user=user)
    return register_customer(user=user, nickname=nickname)


@transaction.atomic
def mark_email_verified(*, user: User) -> None:
    """Record the user's current email as verified and primary in allauth (idempotent), as if the
    confirmation link had been followed: allauth refuses logins with an unverified address."""
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        EmailAddress.objects.filter(user=user, primary=True).update(primary=False)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    elif not (address.verified and address.primary):
        EmailAddress.objects.filter(user=user, primary=True).exclude(pk=address.pk).update(primary=False)
        address.verified = True
        address.primary = True
        address.save(update_fields=["verified", "primary"])


@transaction.atomic
def grant_superuser(*, user: User) -> User:
    """Make a staff user a superuser (the platform's first admin)."""
    if not (user.is_superuser and user.is_staff):
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    return user


@transaction.atomic
def create_partner(*, name: str, kind: str = "studio", studio=None, user=None, description: str = ""):
    """A partner business; a studio partner is bound to its studio."""
    from accounts.models import Partner, PartnerKind

    if kind not in PartnerKind.values:
        raise AccountsError(f"Unknown partner kind {kind!r}.", code="invalid_partner_kind")
    if kind == PartnerKind.STUDIO and studio is None:
        raise AccountsError("A studio partner needs a studio.", code="invalid_studio")
    return Partner.objects.create(name=name, kind=kind, studio=studio, user=user, description=description)


@transaction.atomic
def create_partner_application(
    *,
    partner,
    name: str,
    client_secret: str,
    allowed_scopes,
    default_scopes=("catalog:read",),
    client_id: str = "",
    grant_type: str = "client-credentials",
    redirect_uris: str = "",
):
    """A confidential OAuth2 client of `partner`. `client_secret` is given in clear and stored
    hashed by django-oauth-toolkit, so the caller must show it now: it cannot be read back."""
    from django.conf import settings

    from accounts.models import PartnerApplication

    allowed, default = set(allowed_scopes), set(default_scopes)
    unknown = (allowed | default) - set(settings.OAUTH2_SCOPES)
    if unknown:
        raise AccountsError(f"Unknown scopes: {', '.join(sorted(unknown))}.", code="invalid_scope")
    if not default <= allowed:
        raise AccountsError("Default scopes must be among the allowed scopes.", code="invalid_scope")
    application = PartnerApplication(
        partner=partner,
        name=name,
        client_type=PartnerApplication.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant_type,
        client_secret=client_secret,
        redirect_uris=redirect_uris,
        allowed_scopes=" ".join(sorted(allowed)),
        default_scopes=" ".join(sorted(default)),
    )
    if client_id:
        application.client_id = client_id
    application.save()
    return application
