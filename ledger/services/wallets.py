"""Wallets: the platform's own per asset, a user's created on first use, and their freeze."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from ledger.errors import InvalidAmount, WalletFrozen
from ledger.models import Asset, FrozenOwner, Wallet
from ledger.system_wallets import BASE_ASSETS, SYSTEM_WALLETS


def ensure_system_wallets(*, asset: Asset) -> None:
    """Create the platform's wallets for a new asset (idempotent)."""
    for code, tracks_balance, allow_negative in SYSTEM_WALLETS:
        Wallet.objects.get_or_create(
            system_code=code,
            asset=asset,
            defaults={"tracks_balance": tracks_balance, "allow_negative": allow_negative},
        )


def ensure_base_assets() -> None:
    """Create the platform's own assets and their system wallets (idempotent; runs after migrate and flush)."""
    for code, kind, precision, label in BASE_ASSETS:
        asset, _ = Asset.objects.get_or_create(
            code=code, defaults={"kind": kind, "precision": precision, "label": label}
        )
        ensure_system_wallets(asset=asset)


# System wallets, once read, per process: the database lets no column of a wallet but its
# balance change, and a transfer reads a tracked wallet's balance under its own lock, so a kept
# row is never wrong where it is used. (Forgotten after migrate and by the test suite's set-up.)
_system_wallets: dict[tuple[str, int], Wallet] = {}


def forget_system_wallets() -> None:
    _system_wallets.clear()


def system_wallet(*, code: str, asset: Asset) -> Wallet:
    """The platform's wallet `code` in `asset`, created with the asset's others if missing."""
    kept = _system_wallets.get((code, asset.pk))
    if kept is not None:
        return kept
    wallet = Wallet.objects.select_related("asset").filter(system_code=code, asset=asset).first()
    if wallet is None:
        ensure_system_wallets(asset=asset)
        wallet = Wallet.objects.select_related("asset").get(system_code=code, asset=asset)
    # Only wallets that exist for good (committed) may be kept: inside a transaction, wait for its commit.
    transaction.on_commit(lambda: _system_wallets.__setitem__((code, asset.pk), wallet))
    return wallet


def user_wallet(*, user, asset: Asset) -> Wallet:
    """The user's wallet in `asset`, created empty on first use (safe under concurrency)."""
    wallet = Wallet.objects.select_related("asset").filter(owner=user, asset=asset).first()
    if wallet is not None:
        return wallet
    try:
        with transaction.atomic():
            return Wallet.objects.create(owner=user, asset=asset)
    except IntegrityError:
        return Wallet.objects.select_related("asset").get(owner=user, asset=asset)


def user_wallets(*, user, assets: list[Asset]) -> dict[int, Wallet]:
    """The user's wallets in `assets`, by asset id, the missing ones created empty: one query
    when they all exist (a purchase reads the coin and the credit wallet together)."""
    by_id = {asset.pk: asset for asset in assets}
    found = {wallet.asset_id: wallet for wallet in Wallet.objects.filter(owner=user, asset_id__in=list(by_id))}
    for asset_id, asset in by_id.items():
        if asset_id in found:
            found[asset_id].asset = asset  # the caller's row: no query to follow the relation
        else:
            found[asset_id] = user_wallet(user=user, asset=asset)
    return found


def set_wallets_frozen(*, user, frozen: bool, reason: str = "", by=None) -> bool:
    """Freeze (or thaw) every wallet of `user`, present and future; return whether it is frozen now.

    Apps above the ledger (loyalty's `is_blocked`, support holds) call this instead of the
    ledger importing them. Reversals and staff adjustments still post on frozen wallets.
    """
    with transaction.atomic():
        if not frozen:
            FrozenOwner.objects.filter(user=user).delete()
            return False
        if not reason.strip():
            raise InvalidAmount("Freezing wallets needs a reason.")
        FrozenOwner.objects.update_or_create(user=user, defaults={"reason": reason.strip()[:255], "frozen_by": by})
        return True


def is_frozen(wallet: Wallet) -> bool:
    """Whether no money may move on `wallet`: inactive or archived owner, or a ledger freeze."""
    owner = wallet.owner
    if owner is None:
        return False
    customer = getattr(owner, "customer", None)
    freeze = getattr(owner, "ledger_freeze", None)
    return not owner.is_active or (customer is not None and customer.is_archived) or freeze is not None


def check_not_frozen(wallets: Iterable[Wallet]) -> None:
    for wallet in wallets:
        if is_frozen(wallet):
            raise WalletFrozen(
                "The wallet's owner is archived, inactive or frozen; no money moves.", details={"wallet": wallet.pk}
            )
