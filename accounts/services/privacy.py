"""Archive and erasure of players, and support's password-reset email."""

from django.db import transaction
from django.utils import timezone

from accounts.errors import CustomerErased
from accounts.models import Customer, User
from accounts.services.audit import _audited
from accounts.signals import customer_archived, customer_erased
from nodebyte_platform.api.auth import forget_cached_tokens

ERASED_NICKNAME = "Erased player"


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
    # Partner API processes keep tokens with their user: an archived player's must stop at once.
    transaction.on_commit(forget_cached_tokens)
    customer_archived.emit(key=f"archived:{customer.player_id}", customer_id=customer.pk)
    return customer


@transaction.atomic
def unarchive_customer(*, customer: Customer, actor=None) -> Customer:
    customer = Customer.objects.select_for_update().select_related("user").get(pk=customer.pk)
    if customer.erased_at is not None:
        raise CustomerErased("An erased player cannot come back.")
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
    their own rows in reactions to the `customer_erased` event.
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
    customer_erased.emit(key=f"erased:{customer.player_id}", customer_id=customer.pk)
    return customer


@transaction.atomic
def send_password_reset(*, user: User, request=None, actor=None) -> None:
    """Email the user allauth's password-reset link (support's 'send password reset')."""
    from allauth.account.forms import ResetPasswordForm

    form = ResetPasswordForm(data={"email": user.email})
    if form.is_valid():
        form.save(request)
