"""Writes of the accounts app: players, staff, partners."""

import secrets

from django.db import IntegrityError, transaction

from accounts.models import Customer, User
from ledger.models import Asset
from ledger.services import user_wallet

REFERRAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


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
        inviter = Customer.objects.filter(referral_code__iexact=referral_code.strip()).first()
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
