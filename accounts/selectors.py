"""Reads of the accounts app shared by the portal, the admin, the API and other apps' services."""

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef, Q

from accounts.models import Customer, User


def customer_of(user) -> Customer | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.customer
    except Customer.DoesNotExist:
        return None


def has_verified_email(user) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def can_move_money(user) -> bool:
    """Whether money may move for this user: active, not an archived player, primary email verified.

    Services that debit or credit a player call this before posting (ledger's own check
    refuses archived and inactive owners as a second lock).
    """
    if user is None or not getattr(user, "pk", None):
        return False
    # Read from the database, not the (possibly stale) instance in hand: one query.
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True)
    return (
        User.objects.filter(pk=user.pk, is_active=True)
        .filter(Q(customer__isnull=True) | Q(customer__is_archived=False, customer__erased_at__isnull=True))
        .filter(Exists(verified))
        .exists()
    )


def partner_refusal(application) -> str | None:
    """Why a partner application may not act now (a suspended or inactive partner), or None.

    Read by the partner API's kernel (settings.PARTNER_API["APPLICATION_REFUSAL"]) on every
    request and by the OAuth2 validator before a token is issued.
    """
    from accounts.models import PartnerStatus

    partner = getattr(application, "partner", None)
    if partner is not None and partner.status != PartnerStatus.ACTIVE:
        return f"The partner {partner.name} is {partner.get_status_display().lower()}."
    return None
