"""Players: registration (Customer, referral code), their profile, provisioning; apps above open the rest."""

import secrets

from django.db import IntegrityError, transaction

from accounts.errors import CustomerErased, ValidationFailed
from accounts.models import Customer, Gender, User, VipLevel
from accounts.signals import customer_registered
from nodebyte_platform.updates import save_changes

REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(10))


def _profile(customer: Customer | None, **profile) -> dict:
    """Check the profile fields a player has (choices, unique panel ids) and return them."""
    if profile.get("gender", "") not in ("", *Gender.values):
        raise ValidationFailed(f"Unknown gender {profile['gender']!r}.", details={"field": "gender"})
    if profile.get("vip") not in (None, *VipLevel.values):
        raise ValidationFailed(f"Unknown VIP level {profile['vip']!r}.", details={"field": "vip"})
    for panel_id in ("pterodactyl_id", "virtfusion_id"):
        value = profile.get(panel_id)
        if value is not None:
            taken = Customer.objects.filter(**{panel_id: value})
            if customer is not None:
                taken = taken.exclude(pk=customer.pk)
            if taken.exists():
                raise ValidationFailed(f"Another player has {panel_id} {value}.", details={"field": panel_id})
    return profile


def _checked_inviter(inviter: Customer | None, *, invitee: Customer | None) -> Customer | None:
    """An inviter is a player still here, and never the invitee or someone the invitee brought in."""
    if inviter is None:
        return None
    if inviter.is_archived or inviter.erased_at is not None:
        raise ValidationFailed("The inviter has left the platform.", details={"field": "inviter"})
    seen, step = set(), inviter
    while step is not None and step.pk not in seen:
        if invitee is not None and step.pk == invitee.pk:
            raise ValidationFailed(
                "A player cannot be invited by themselves or by their own invitees.", details={"field": "inviter"}
            )
        seen.add(step.pk)
        step = step.inviter
    return inviter


def register_customer(
    *, user: User, nickname: str = "", referral_code: str = "", inviter: Customer | None = None, **profile
) -> Customer:
    """Make `user` a player: a Customer with a unique referral code, the inviter linked when
    `referral_code` names one (or `inviter` is given, as staff choose one). Idempotent per user.
    Emits `customer_registered`, on which the ledger opens the player's COIN wallet after commit
    (ledger.reactions)."""
    existing = Customer.objects.filter(user=user).first()
    if existing is not None:
        return existing
    profile = _profile(None, **profile)
    inviter = _checked_inviter(inviter, invitee=None)
    if referral_code and inviter is None:
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
                customer_registered.emit(key=f"customer:{customer.player_id}", customer_id=customer.pk)
                return customer
        except IntegrityError:
            if Customer.objects.filter(user=user).exists():
                return Customer.objects.get(user=user)
            continue  # referral code collision: draw another
    raise RuntimeError("Could not draw a unique referral code")


@transaction.atomic
def update_customer(
    *,
    customer: Customer,
    nickname: str,
    full_name: str = "",
    gender: str = "",
    avatar=None,
    vip: str | None = None,
    inviter: Customer | None = None,
    onboarding_completed: bool = False,
    pterodactyl_id: int | None = None,
    virtfusion_id: int | None = None,
) -> Customer:
    """Staff edits of a player's profile. An erased player's record stays as erasure left it (no
    personal data is written back); the inviter rules of registration hold; panel ids stay unique."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.erased_at is not None:
        raise CustomerErased("This player's personal data was erased; the record is not edited any more.")
    profile = _profile(
        locked, gender=gender or "", vip=vip or None, pterodactyl_id=pterodactyl_id, virtfusion_id=virtfusion_id
    )
    save_changes(
        locked,
        nickname=(nickname or "").strip() or locked.user.username,
        full_name=full_name or "",
        avatar=avatar if avatar is not None else "",
        inviter=_checked_inviter(inviter, invitee=locked),
        onboarding_completed=bool(onboarding_completed),
        **profile,
    )
    return locked


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
