"""Accounts as staff create and edit them in the admin: who logs in, with what address and powers.

Rules: usernames and addresses are unique whatever their case; a new address is the account's
only address and unverified until its owner confirms it (allauth asks at the next login, and no
money moves for it before: `accounts.selectors.can_move_money`); role Groups and a staff
member's `is_staff` follow the staff profile; a player is deactivated by archiving; nobody takes
their own superuser or active status away (the last way back in).
"""

from django.contrib.auth.models import Permission
from django.db import transaction

from accounts.errors import EmailTaken, UsernameTaken, ValidationFailed
from accounts.models import Customer, StaffProfile, User
from nodebyte_platform.roles import ROLES, group_name
from nodebyte_platform.updates import save_changes

ROLE_GROUPS = frozenset(group_name(role) for role in ROLES)


def _username(value: str, *, other_than: User | None = None) -> str:
    username = (value or "").strip()
    if not username:
        raise ValidationFailed("An account needs a username.", details={"field": "username"})
    taken = User.objects.filter(username__iexact=username)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise UsernameTaken(f"The username {username!r} is taken.", details={"field": "username"})
    return username


def _email(value: str, *, other_than: User | None = None) -> str:
    email = User.objects.normalize_email((value or "").strip())
    if not email or "@" not in email:
        raise ValidationFailed("An account needs an email address.", details={"field": "email"})
    taken = User.objects.filter(email__iexact=email)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise EmailTaken("Another account uses this email address.", details={"field": "email"})
    return email


def _only_address(user: User) -> None:
    """The user's current email becomes their one allauth address: primary and not yet verified."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
    EmailAddress.objects.update_or_create(
        user=user, email__iexact=user.email, defaults={"email": user.email, "primary": True, "verified": False}
    )


@transaction.atomic
def create_user(*, username: str, email: str, password: str | None = None) -> User:
    """An account with a usable password when one is given, else none (it is set by a reset link)."""
    user = User(username=_username(username), email=_email(email))
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    _only_address(user)
    return user


@transaction.atomic
def update_user(
    *,
    user: User,
    actor: User | None,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    is_active: bool,
    is_staff: bool,
    is_superuser: bool,
    groups=(),
    user_permissions=(),
) -> User:
    locked = User.objects.select_for_update().get(pk=user.pk)
    is_player = Customer.objects.filter(user=locked).exists()
    has_staff_profile = StaffProfile.objects.filter(user=locked).exists()
    if is_player and bool(is_active) != locked.is_active:
        raise ValidationFailed(
            "A player is deactivated by archiving (and comes back by unarchiving), not here.",
            details={"field": "is_active"},
        )
    if has_staff_profile and bool(is_staff) != locked.is_staff:
        raise ValidationFailed(
            "Staff access follows the staff profile: archive or restore the profile instead.",
            details={"field": "is_staff"},
        )
    if (
        actor is not None
        and actor.pk == locked.pk
        and ((locked.is_superuser and not is_superuser) or (locked.is_active and not is_active))
    ):
        raise ValidationFailed(
            "Nobody takes their own superuser or active status away; ask another admin.",
            details={"field": "is_superuser" if not is_superuser else "is_active"},
        )
    groups = set(groups)
    current_groups = set(locked.groups.all())
    if {g.name for g in groups ^ current_groups} & ROLE_GROUPS:
        raise ValidationFailed(
            "Role groups follow the staff profile: change the role there.", details={"field": "groups"}
        )
    old_email = locked.email
    changed = save_changes(
        locked,
        username=_username(username, other_than=locked),
        email=_email(email, other_than=locked),
        first_name=first_name,
        last_name=last_name,
        is_active=bool(is_active),
        is_staff=bool(is_staff),
        is_superuser=bool(is_superuser),
    )
    if "email" in changed and old_email.lower() != locked.email.lower():
        _only_address(locked)
    locked.groups.set(groups)
    locked.user_permissions.set(Permission.objects.filter(pk__in=[p.pk for p in user_permissions]))
    return locked
