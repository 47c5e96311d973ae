"""Factories of the accounts app: users, players, staff per role, partners and their OAuth2 clients.

Players go through `accounts.services.register_customer`, so every Customer has a unique
referral code and an empty COIN wallet, exactly as a real sign-up leaves it.
"""

import functools
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import Partner, PartnerApplication, PartnerKind, StaffProfile, StaffRole, User

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


@functools.cache
def default_password_hash() -> str:
    """Argon2 is slow on purpose; hash the shared test password once per process, not per user."""
    return make_password(DEFAULT_PASSWORD)


def _set_default_password(user, create, extracted, **kwargs):
    if extracted is None:
        user.password = default_password_hash()
    else:
        user.set_password(extracted)


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a usable password (DEFAULT_PASSWORD) and, with `verified=True` (the default),
    a verified primary allauth EmailAddress, so money may move for it."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGeneration(_set_default_password)
    is_active = True

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.update_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class CustomerFactory(factory.django.DjangoModelFactory):
    """A player made by `register_customer` (Customer + referral code + COIN wallet).

    Pass `inviter=<Customer>` to link a referral, `user__verified=False` for an unverified one.
    """

    class Meta:
        model = "accounts.Customer"

    user = factory.SubFactory(UserFactory)
    nickname = factory.LazyAttribute(lambda o: o.user.username.title())
    inviter = None

    @classmethod
    def _create(cls, model_class, *args, user=None, nickname="", inviter=None, **profile):
        from accounts.services import register_customer

        return register_customer(
            user=user, nickname=nickname, referral_code=inviter.referral_code if inviter else "", **profile
        )


class StudioForStaff(factory.django.DjangoModelFactory):
    """A bare games.Studio for studio-role staff (games factories may offer a richer one)."""

    class Meta:
        model = "games.Studio"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Staff studio {n}")


class StaffProfileFactory(factory.django.DjangoModelFactory):
    """A staff member of `role` (default admin): is_staff user, StaffProfile, the role's Group.

    Studio role gets a studio (pass `studio=` to bind to an existing one).
    """

    class Meta:
        model = StaffProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, is_staff=True, username=factory.Sequence(lambda n: f"staff{n}"))
    role = StaffRole.ADMIN
    studio = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role == StaffRole.STUDIO),
        yes_declaration=factory.SubFactory(StudioForStaff),
        no_declaration=None,
    )

    @factory.post_generation
    def group(obj, create, extracted, **kwargs):
        if not create:
            return
        from accounts.services import assign_staff_role

        assign_staff_role(profile=obj)


class AdminStaffFactory(StaffProfileFactory):
    role = StaffRole.ADMIN


class SupportStaffFactory(StaffProfileFactory):
    role = StaffRole.SUPPORT


class AccountingStaffFactory(StaffProfileFactory):
    role = StaffRole.ACCOUNTING


class StudioStaffFactory(StaffProfileFactory):
    role = StaffRole.STUDIO


def staff_user(role: str = StaffRole.ADMIN, **kwargs) -> User:
    """Shortcut: the User of a new staff member of `role` (kwargs go to StaffProfileFactory)."""
    return StaffProfileFactory(role=role, **kwargs).user


class SuperUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"root{n}")
    is_staff = True
    is_superuser = True


class PartnerFactory(factory.django.DjangoModelFactory):
    """A studio partner (kind studio needs a studio)."""

    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    kind = PartnerKind.STUDIO
    studio = factory.Maybe(
        factory.LazyAttribute(lambda o: o.kind == PartnerKind.STUDIO),
        yes_declaration=factory.SubFactory(StudioForStaff),
        no_declaration=None,
    )


class PartnerApplicationFactory(factory.django.DjangoModelFactory):
    """A confidential OAuth2 client of a partner.

    The clear client secret is kept on the instance as `raw_client_secret` (the stored one is
    hashed). Default: client credentials grant, every scope allowed; pass
    `authorization_grant_type=PartnerApplication.GRANT_AUTHORIZATION_CODE` and `redirect_uris`
    for the code flow.
    """

    class Meta:
        model = PartnerApplication
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"App {n}")
    partner = factory.SubFactory(PartnerFactory)
    client_type = PartnerApplication.CLIENT_CONFIDENTIAL
    authorization_grant_type = PartnerApplication.GRANT_CLIENT_CREDENTIALS
    redirect_uris = "https://partner.example/callback"
    allowed_scopes = factory.LazyFunction(lambda: " ".join(settings.OAUTH2_PROVIDER["SCOPES"]))
    default_scopes = "catalog:read"
    algorithm = ""
    raw_client_secret = factory.Sequence(lambda n: f"secret-{n}-0123456789abcdefghijklmnopqrstuvwxyz")

    @classmethod
    def _create(cls, model_class, *args, raw_client_secret=None, **kwargs):
        kwargs["client_secret"] = raw_client_secret
        obj = super()._create(model_class, *args, **kwargs)
        obj.raw_client_secret = raw_client_secret
        return obj


__all__ = [
    "AuditEntryFactory",
    "DEFAULT_PASSWORD",
    "AccountingStaffFactory",
    "AdminStaffFactory",
    "CustomerFactory",
    "ImpersonationFactory",
    "PartnerApplicationFactory",
    "PartnerFactory",
    "StaffProfileFactory",
    "StudioForStaff",
    "StudioStaffFactory",
    "SuperUserFactory",
    "SupportStaffFactory",
    "UserFactory",
    "staff_user",
]


class AuditEntryFactory(factory.django.DjangoModelFactory):
    """An audit row about a user (AuditEntry rows are normally written by the admin)."""

    class Meta:
        model = "accounts.AuditEntry"

    actor = factory.SubFactory(SuperUserFactory)
    action = "change"
    content_type = factory.LazyFunction(lambda: ContentType.objects.get(app_label="accounts", model="user"))
    object_id = factory.LazyAttribute(lambda o: str(o.actor.pk))
    object_repr = factory.LazyAttribute(lambda o: str(o.actor))
    before = factory.LazyFunction(lambda: {"is_active": True})
    after = factory.LazyFunction(lambda: {"is_active": False})


class ImpersonationFactory(factory.django.DjangoModelFactory):
    """A support agent's open view of the portal as a player (normally started from the admin)."""

    class Meta:
        model = "accounts.Impersonation"

    staff = factory.LazyFunction(lambda: staff_user(StaffRole.SUPPORT))
    customer = factory.SubFactory(CustomerFactory)
    reason = "Ticket 7: the player cannot find their Gems"
    started_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=15))
