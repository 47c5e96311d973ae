"""Helpers shared by the billing services: gateways, currencies, invoice locks."""

from billing.errors import ValidationFailed
from billing.models import Invoice
from ledger.models import Asset, AssetKind, SystemWallet
from ledger.services import system_wallet

INITIATOR = "system:billing"
# The one gateway wired today; a real one adds its `gateway:<name>` system wallet.
DEFAULT_GATEWAY = "sandbox"


def _gateway_wallet(*, gateway: str, asset: Asset):
    code = f"gateway:{gateway}"
    if code not in SystemWallet.values:
        raise ValidationFailed(f"Unknown payment gateway {gateway!r}.", details={"gateway": gateway})
    return system_wallet(code=code, asset=asset)


def _require_fiat_or_coin(asset: Asset) -> None:
    if asset.kind not in (AssetKind.FIAT, AssetKind.PLATFORM):
        raise ValidationFailed(f"{asset.code} is not a currency customers pay in.", details={"currency": asset.code})


def _locked_invoice(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


# Who may decide a money move that favours the caller (a bank payment, a refund, a payout).
DECIDING_ROLES = ("accounting", "admin")


def require_deciding_staff(user, *, doing: str) -> None:
    """Refuse unless `user` is active accounting or admin staff (or a superuser)."""
    from billing.errors import NotAllowed

    if user is None or not getattr(user, "is_active", False):
        raise NotAllowed(f"Only accounting staff may {doing}.")
    if user.is_superuser:
        return
    profile = getattr(user, "staff_profile", None)
    if profile is None or profile.is_archived or profile.role not in DECIDING_ROLES:
        raise NotAllowed(f"Only accounting staff may {doing}.", details={"user": user.pk})
