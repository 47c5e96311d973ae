"""Players: registration (Customer, referral code) and provisioning; apps above open the rest."""

import secrets

from django.db import IntegrityError, transaction

from accounts.models import Customer, User
from accounts.signals import customer_registered

REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(10))


def register_customer(*, user: User, nickname: str = "", referral_code: str = "", **profile) -> Customer:
    """Make `user` a player: a Customer with a unique referral code, the inviter linked
    when `referral_code` names one. Idempotent per user. Emits `customer_registered`, on which
    the apps above open the player's COIN wallet and loyalty profile after commit."""
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
                customer_registered.emit(key=f"customer:{customer.player_id}", customer_id=customer.pk)
                return customer
        except IntegrityError:
            if Customer.objects.filter(user=user).exists():
                return Customer.objects.get(user=user)
            continue  # referral code collision: draw another
    raise RuntimeError("Could not draw a unique referral code")


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
