"""Reads of the ledger shared by the admin, the API, the portal and the jobs."""

from decimal import Decimal

from django.db.models import F, QuerySet

from ledger.errors import UnknownAsset
from ledger.models import (
    Asset,
    AssetKind,
    FrozenOwner,
    Posting,
    ReconciliationFinding,
    ReconciliationRun,
    Transfer,
    Wallet,
    amount_sum,
)

# Base assets (coins, fiat, loyalty points) by code, read once per process. Their rows come from a
# data migration and their code and precision never change, so sharing one instance is safe.
# A test flush recreates them under new ids: post_migrate empties the cache, as does any save or
# delete of an asset (LedgerConfig.ready). Credit assets, created with their credit type at run
# time, are always read from the database, so a rolled-back one is never served from here.
_base_assets: dict[str, Asset] = {}


def asset(*, code: str) -> Asset:
    """The asset with this code (`COIN`, `EUR`, `LP`, `CR-<id>`...); an unknown code is refused."""
    found = _base_assets.get(code)
    if found is not None:
        return found
    found = Asset.objects.filter(code=code).first()
    if found is None:
        raise UnknownAsset(f"There is no asset {code!r}.", details={"asset": code})
    if found.kind != AssetKind.CREDIT:
        _base_assets[code] = found
    return found


def forget_assets(**kwargs) -> None:
    """Empty the per-process cache of `asset` (a signal receiver: takes and ignores its arguments)."""
    _base_assets.clear()


def wallet_balance(*, wallet: Wallet) -> Decimal:
    """Stored balance for tracking wallets; the sum of postings for hot system wallets."""
    if wallet.tracks_balance:
        return wallet.balance
    return wallet.postings.aggregate(total=amount_sum())["total"] or Decimal(0)


def freeze_reason(*, user) -> str | None:
    """Why the user's wallets are frozen (`ledger.services.set_wallets_frozen`), or None."""
    return FrozenOwner.objects.filter(user=user).values_list("reason", flat=True).first()


def balances_of(*, user) -> list[Wallet]:
    """Every wallet of a user with its asset, in one query (coins, credits, fiat, loyalty)."""
    return list(Wallet.objects.filter(owner=user).select_related("asset").order_by("asset__kind", "asset__code"))


def balance_map(*, user) -> dict[str, Decimal]:
    """{asset code: balance} of every wallet of a user, in one query."""
    return dict(Wallet.objects.filter(owner=user).values_list("asset__code", "balance"))


def wallet_history(*, wallet: Wallet) -> QuerySet[Posting]:
    """Postings of a wallet, newest first, each with `balance_before` and `balance_after`.

    `balance_after` is stored on balance-tracking wallets; `balance_before` is annotated in SQL
    (`balance_after - amount`) so pages and exports need no extra query per row.
    """
    return (
        Posting.objects.filter(wallet=wallet)
        .select_related("transfer")
        .annotate(before=F("balance_after") - F("amount"))
        .order_by("-id")
    )


def user_postings(*, user, asset_code: str | None = None) -> QuerySet[Posting]:
    """A user's postings across wallets, newest first (the seed 000/001/002 transaction views)."""
    qs = Posting.objects.filter(wallet__owner=user).select_related("transfer", "wallet__asset")
    if asset_code:
        qs = qs.filter(wallet__asset__code=asset_code)
    return qs.order_by("-id")


def coin_transactions(*, user) -> QuerySet[Posting]:
    """Seed 000 `coin_transaction`: the postings on a customer's COIN wallet, newest first.

    Each row's `amount` is the change of the coin balance and `transfer` carries kind,
    description, created_at; a gift's receiver is in `transfer.metadata["receiver"]`.
    SUM(amount) over the rows is the customer's coin balance.
    """
    return user_postings(user=user, asset_code="COIN")


def credit_transactions(*, user, game_id: int | None = None) -> QuerySet[Posting]:
    """Seed 000 `credit_transaction`: postings on a customer's game-credit wallets (one game's if given).

    A credit purchase is one transfer with a coin and a credit leg, so the seed's
    `coin_transaction_id` is the sibling posting of the same `transfer`.
    """
    qs = user_postings(user=user).filter(wallet__asset__kind=AssetKind.CREDIT)
    if game_id is not None:
        # Reverse lookup through games.CreditType.asset (a string path: the ledger never imports games).
        qs = qs.filter(wallet__asset__credit_type__game_id=game_id)
    return qs


def credit_balances(*, user) -> list[Wallet]:
    """Seed 000 `credit_balance`: a customer's game-credit wallets with their asset."""
    return list(
        Wallet.objects.filter(owner=user, asset__kind=AssetKind.CREDIT).select_related("asset").order_by("asset__code")
    )


def balance_at(*, wallet: Wallet, moment) -> Decimal:
    """The wallet's balance at `moment`.

    A tracking wallet answers from its last posting's `balance_after` up to then (one index
    lookup); a hot wallet sums its postings.
    """
    postings = wallet.postings.filter(created_at__lte=moment)
    if wallet.tracks_balance:
        last = postings.order_by("-created_at", "-id").values_list("balance_after", flat=True).first()
        if last is not None:
            return last
    return postings.aggregate(total=amount_sum())["total"] or Decimal(0)


def transfer_with_postings(*, public_id) -> Transfer:
    return Transfer.objects.prefetch_related("postings__wallet__asset", "postings__wallet__owner").get(
        public_id=public_id
    )


def last_reconciliation() -> ReconciliationRun | None:
    return ReconciliationRun.objects.exclude(status="running").order_by("-started_at", "-id").first()


def open_findings_of_last_run() -> int:
    """Unresolved findings of the last finished reconciliation run (the admin index warning)."""
    run = last_reconciliation()
    if run is None:
        return 0
    return ReconciliationFinding.objects.filter(run=run, resolved=False).count()
