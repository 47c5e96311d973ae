"""Reads of the ledger shared by the admin, the API, the portal and the jobs."""

from decimal import Decimal

from django.db.models import Q, Sum

from ledger.models import Posting, Wallet


def wallet_balance(*, wallet: Wallet) -> Decimal:
    """Stored balance for tracking wallets; the sum of postings for hot system wallets."""
    if wallet.tracks_balance:
        return wallet.balance
    return wallet.postings.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def balances_of(*, user) -> list[Wallet]:
    """Every wallet of a user with its asset, in one query."""
    return list(Wallet.objects.filter(owner=user).select_related("asset").order_by("asset__kind", "asset__code"))


def wallet_history(*, wallet: Wallet):
    """Postings of a wallet, newest first; each has `balance_before` and `balance_after`."""
    return Posting.objects.filter(wallet=wallet).select_related("transfer").order_by("-created_at", "-id")


def user_postings(*, user, asset_code: str | None = None):
    """A user's postings across wallets, newest first (the seed 000/001/002 transaction views)."""
    qs = Posting.objects.filter(wallet__owner=user).select_related("transfer", "wallet__asset")
    if asset_code:
        qs = qs.filter(wallet__asset__code=asset_code)
    return qs.order_by("-created_at", "-id")


def balance_at(*, wallet: Wallet, moment) -> Decimal:
    """The wallet's balance at `moment`: the sum of its postings up to then."""
    total = wallet.postings.filter(Q(created_at__lte=moment)).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)
