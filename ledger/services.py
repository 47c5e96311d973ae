"""Every write to the ledger. One transaction per use case; balances move only here.

`post_transfer` is the single door: it validates the legs, locks the balance-
tracking wallets in id order, checks limits, updates stored balances and
bulk-inserts the postings. Everything else (gifts, adjustments, reversals, and
the games, loyalty and billing services above) is built on it.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from ledger.errors import (
    AlreadyReversed,
    AssetMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    UnbalancedTransfer,
    WalletFrozen,
)
from ledger.models import Asset, Posting, SystemWallet, Transfer, TransferKind, Wallet
from ledger.system_wallets import SYSTEM_WALLETS

# DecimalField(max_digits=20, decimal_places=4): at most 16 digits before the point.
MAX_ABS_AMOUNT = Decimal(10) ** 16


@dataclass(frozen=True)
class Leg:
    wallet: Wallet
    amount: Decimal


def to_amount(value, *, asset: Asset, positive: bool = True) -> Decimal:
    """Parse and check an amount for `asset`: finite, within range, no more places than the asset has.

    With `positive` (the default) zero and negative amounts are refused too.
    """
    if isinstance(value, float):
        raise InvalidAmount("Amounts are decimals, never floats.", details={"amount": repr(value)})
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidAmount(f"{value!r} is not a decimal amount.", details={"amount": str(value)})
    if not amount.is_finite():
        raise InvalidAmount("Amount must be a finite number.", details={"amount": str(value)})
    if abs(amount) >= MAX_ABS_AMOUNT:
        raise InvalidAmount("Amount is out of range.", details={"amount": str(value)})
    if amount != amount.quantize(Decimal(1).scaleb(-asset.precision)):
        raise InvalidAmount(
            f"{asset.code} amounts carry at most {asset.precision} decimal places.",
            details={"amount": str(value), "precision": asset.precision},
        )
    if positive and amount <= 0:
        raise InvalidAmount("Amount must be greater than zero.", details={"amount": str(value)})
    return amount


def ensure_system_wallets(*, asset: Asset) -> None:
    """Create the platform's wallets for a new asset (idempotent)."""
    for code, tracks_balance, allow_negative in SYSTEM_WALLETS:
        Wallet.objects.get_or_create(
            system_code=code,
            asset=asset,
            defaults={"tracks_balance": tracks_balance, "allow_negative": allow_negative},
        )


def system_wallet(*, code: str, asset: Asset) -> Wallet:
    try:
        return Wallet.objects.select_related("asset").get(system_code=code, asset=asset)
    except Wallet.DoesNotExist:
        ensure_system_wallets(asset=asset)
        return Wallet.objects.select_related("asset").get(system_code=code, asset=asset)


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


def _fingerprint(*, kind: str, legs: list[Leg], reference: str, reverses: Transfer | None) -> str:
    body = {
        "kind": kind,
        "legs": sorted([leg.wallet.pk, str(leg.amount.normalize())] for leg in legs),
        "reference": reference,
        "reverses": reverses.pk if reverses else None,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _replay(*, initiator: str, idempotency_key: str, request_hash: str) -> Transfer | None:
    existing = Transfer.objects.filter(initiator=initiator, idempotency_key=idempotency_key).first()
    if existing is None:
        return None
    if existing.request_hash != request_hash:
        raise IdempotencyConflict(
            "This idempotency key was already used for a different request.",
            details={"idempotency_key": idempotency_key},
        )
    return existing


def _merge_legs(legs: Iterable[Leg]) -> list[Leg]:
    by_wallet: dict[int, Decimal] = defaultdict(Decimal)
    wallets: dict[int, Wallet] = {}
    for leg in legs:
        to_amount(leg.amount, asset=leg.wallet.asset, positive=False)
        by_wallet[leg.wallet.pk] += leg.amount
        wallets[leg.wallet.pk] = leg.wallet
    return [Leg(wallets[pk], amount) for pk, amount in sorted(by_wallet.items()) if amount != 0]


def _check_balanced(legs: list[Leg]) -> None:
    per_asset: dict[int, Decimal] = defaultdict(Decimal)
    for leg in legs:
        per_asset[leg.wallet.asset_id] += leg.amount
    unbalanced = {str(asset_id): str(total) for asset_id, total in per_asset.items() if total != 0}
    if unbalanced:
        raise UnbalancedTransfer("Legs must sum to zero per asset.", details={"unbalanced": unbalanced})


def _check_not_frozen(wallets: Iterable[Wallet]) -> None:
    for wallet in wallets:
        owner = wallet.owner
        if owner is None:
            continue
        customer = getattr(owner, "customer", None)
        if not owner.is_active or (customer is not None and customer.is_archived):
            raise WalletFrozen(
                "The wallet's owner is archived or inactive; no money moves.", details={"wallet": wallet.pk}
            )


def post_transfer(
    *,
    kind: str,
    legs: Iterable[Leg],
    initiator: str,
    idempotency_key: str | None = None,
    description: str = "",
    reference: str = "",
    metadata: dict | None = None,
    created_by=None,
    application=None,
    reverses: Transfer | None = None,
    allow_frozen: bool = False,
) -> Transfer:
    """Post one balanced transfer atomically; replay the original when the key was seen before.

    Raises a LedgerError subclass (each with a stable code) and writes nothing when
    any leg is invalid, the transfer does not balance per asset, a wallet would go
    below zero, an owner is frozen, or the key was used for a different request.
    """
    if kind not in TransferKind.values:
        raise InvalidAmount(f"Unknown transfer kind {kind!r}.")
    merged = _merge_legs(legs)
    if not merged:
        raise InvalidAmount("A transfer needs at least one non-zero leg.")
    _check_balanced(merged)
    request_hash = _fingerprint(kind=kind, legs=merged, reference=reference, reverses=reverses)

    try:
        with transaction.atomic():
            tracked_ids = [leg.wallet.pk for leg in merged if leg.wallet.tracks_balance]
            locked = {
                w.pk: w
                for w in Wallet.objects.select_for_update(of=("self",))
                .select_related("owner__customer")
                .filter(pk__in=tracked_ids)
                .order_by("pk")
            }
            if idempotency_key:
                # Checked under the wallet locks: a concurrent twin has committed by now.
                original = _replay(initiator=initiator, idempotency_key=idempotency_key, request_hash=request_hash)
                if original is not None:
                    return original
            if not allow_frozen:
                _check_not_frozen(locked.values())
                _check_not_frozen(leg.wallet for leg in merged if not leg.wallet.tracks_balance)

            transfer = Transfer.objects.create(
                kind=kind,
                initiator=initiator,
                idempotency_key=idempotency_key or None,
                request_hash=request_hash,
                description=description,
                reference=reference,
                metadata=metadata or {},
                created_by=created_by,
                application=application,
                reverses=reverses,
            )
            postings = []
            for leg in merged:
                balance_after = None
                wallet = locked.get(leg.wallet.pk)
                if wallet is not None:
                    balance_after = wallet.balance + leg.amount
                    if balance_after < 0 and not wallet.allow_negative:
                        raise InsufficientFunds(
                            f"Insufficient {leg.wallet.asset.code} balance.",
                            details={
                                "asset": leg.wallet.asset.code,
                                "available": str(wallet.balance),
                                "required": str(-leg.amount),
                            },
                        )
                    Wallet.objects.filter(pk=wallet.pk).update(balance=balance_after)
                    wallet.balance = balance_after
                postings.append(
                    Posting(transfer=transfer, wallet_id=leg.wallet.pk, amount=leg.amount, balance_after=balance_after)
                )
            Posting.objects.bulk_create(postings)
            return transfer
    except IntegrityError:
        # A twin with the same key committed between our check and our insert.
        if idempotency_key:
            original = _replay(initiator=initiator, idempotency_key=idempotency_key, request_hash=request_hash)
            if original is not None:
                return original
        if reverses is not None and Transfer.objects.filter(reverses=reverses).exists():
            raise AlreadyReversed("This transfer has already been reversed.", details={"transfer": str(reverses)})
        raise


def _require_same_asset(*wallets: Wallet) -> None:
    if len({w.asset_id for w in wallets}) != 1:
        raise AssetMismatch("Wallets hold different assets.", details={"wallets": [w.pk for w in wallets]})


def issue(
    *,
    user,
    asset: Asset,
    amount,
    kind: str = TransferKind.DEPOSIT,
    source: str = SystemWallet.ISSUANCE,
    initiator: str,
    idempotency_key: str | None = None,
    description: str = "",
    metadata: dict | None = None,
    created_by=None,
    application=None,
) -> Transfer:
    """Credit `amount` of `asset` to a user's wallet from a system wallet (issuance, gateway...)."""
    amount = to_amount(amount, asset=asset)
    return post_transfer(
        kind=kind,
        legs=[
            Leg(system_wallet(code=source, asset=asset), -amount),
            Leg(user_wallet(user=user, asset=asset), amount),
        ],
        initiator=initiator,
        idempotency_key=idempotency_key,
        description=description,
        metadata=metadata,
        created_by=created_by,
        application=application,
    )


def gift(*, sender, receiver, asset: Asset, amount, idempotency_key: str, description: str = "") -> Transfer:
    """A customer-to-customer gift (seed 000's `reciever_account_id`)."""
    amount = to_amount(amount, asset=asset)
    if sender.pk == receiver.pk:
        raise InvalidAmount("A gift needs a receiver other than the sender.")
    source, target = user_wallet(user=sender, asset=asset), user_wallet(user=receiver, asset=asset)
    _require_same_asset(source, target)
    return post_transfer(
        kind=TransferKind.GIFT,
        legs=[Leg(source, -amount), Leg(target, amount)],
        initiator=f"user:{sender.pk}",
        idempotency_key=idempotency_key,
        description=description,
        metadata={"sender": sender.pk, "receiver": receiver.pk},
        created_by=None,
    )


def reverse_transfer(*, transfer: Transfer, reason: str, created_by=None, initiator: str | None = None) -> Transfer:
    """Post a new transfer that exactly undoes `transfer`. A transfer is reversed at most once."""
    if not reason.strip():
        raise InvalidAmount("A reversal needs a reason.")
    if transfer.kind == TransferKind.REVERSAL:
        raise AlreadyReversed("A reversal cannot itself be reversed; post a new transfer instead.")
    if Transfer.objects.filter(reverses=transfer).exists():
        raise AlreadyReversed("This transfer has already been reversed.", details={"transfer": str(transfer.public_id)})
    postings = list(transfer.postings.select_related("wallet__asset"))
    return post_transfer(
        kind=TransferKind.REVERSAL,
        legs=[Leg(p.wallet, -p.amount) for p in postings],
        initiator=initiator or (f"user:{created_by.pk}" if created_by else "system:reversal"),
        idempotency_key=f"reversal:{transfer.public_id}",
        description=reason,
        reverses=transfer,
        metadata={"reverses": str(transfer.public_id)},
        created_by=created_by,
        allow_frozen=True,
    )
