"""Staff: role Groups from nodebyte_platform/roles.py, staff members and their role."""

import fnmatch

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from accounts.errors import InvalidRole, InvalidStudio
from accounts.models import StaffProfile, StaffRole, User
from nodebyte_platform.roles import ROLES, group_name
from nodebyte_platform.updates import save_changes

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


def _check_role(role: str, studio) -> None:
    if role not in StaffRole.values:
        raise InvalidRole(f"Unknown role {role!r}.", details={"field": "role"})
    if (role == StaffRole.STUDIO) != (studio is not None):
        raise InvalidStudio("A studio user needs a studio; other roles have none.", details={"field": "studio"})


@transaction.atomic
def set_staff_role(*, user: User, role: str, studio=None, is_archived: bool = False) -> StaffProfile:
    """Make `user` a staff member of `role` (a studio user of `studio`), or change their role, studio
    or archived flag: the profile and the user's role Group and `is_staff` change together."""
    _check_role(role, studio)
    profile = StaffProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        profile = StaffProfile.objects.create(user=user, role=role, studio=studio, is_archived=bool(is_archived))
    else:
        save_changes(profile, role=role, studio=studio, is_archived=bool(is_archived))
    return assign_staff_role(profile=profile)


@transaction.atomic
def create_staff(*, username: str, email: str, role: str, studio=None, password: str | None = None) -> StaffProfile:
    """A new staff member with its role's Group (studio role needs `studio`)."""
    _check_role(role, studio)
    user = User(username=username, email=email, is_staff=True)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return set_staff_role(user=user, role=role, studio=studio)


@transaction.atomic
def grant_superuser(*, user: User) -> User:
    """Make a staff user a superuser (the platform's first admin)."""
    if not (user.is_superuser and user.is_staff):
        user.is_superuser = True
        user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    return user
