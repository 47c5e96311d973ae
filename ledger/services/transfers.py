"""Posting transfers: the single door through which every balance moves.

`post_transfer` validates the legs, locks the balance-tracking wallets in id
order, checks limits, updates stored balances and bulk-inserts the postings, all
in one transaction. Gifts, reversals, adjustments and the games, loyalty and
billing services above are built on it.

On PostgreSQL the write itself is one call of a server-side function (`pg_posting`, idempotency
settled by ON CONFLICT); elsewhere (the SQLite demo) in `_post_once` through the ORM. Both keep the same
order: lock in id order, frozen, funds and range checks, then one write of transfer, postings and
balances.
"""

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Case, DecimalField, Value, When
from django.utils import timezone

from ledger.errors import (
    AlreadyReversed,
    AssetMismatch,
    BalanceOutOfRange,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    UnbalancedTransfer,
)
from ledger.legs import Leg, PostedLeg
from ledger.models import AMOUNT, Asset, Posting, SystemWallet, Transfer, TransferKind, Wallet
from ledger.services import pg_posting
from ledger.services.wallets import check_not_frozen, system_wallet, user_wallet

# DecimalField(max_digits=20, decimal_places=4): at most 16 digits before the point.
MAX_ABS_AMOUNT = Decimal(10) ** 16
# PostgreSQL deadlock_detected / serialization_failure: safe to retry a whole top-level transaction.
RETRYABLE_PGCODES = {"40P01", "40001"}
MAX_ATTEMPTS = 5
AMOUNT_FIELD = DecimalField(**AMOUNT)
TRANSFER_KINDS = frozenset(TransferKind.values)


def to_amount(value, *, asset: Asset, positive: bool = True) -> Decimal:
    """Parse and check an amount for `asset`: finite, within range, no more places than the asset has.

    With `positive` (the default) zero and negative amounts are refused too.
    """
    if isinstance(value, float | bool):
        raise InvalidAmount("Amounts are decimal strings, never floats.", details={"amount": repr(value)})
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
    """One leg per wallet, in wallet id order; each leg's amount and each merged sum checked."""
    by_wallet: dict[int, Decimal] = defaultdict(Decimal)
    wallets: dict[int, Wallet] = {}
    for leg in legs:
        if leg.wallet.pk is None:
            raise InvalidAmount("Every leg needs a saved wallet.")
        if not isinstance(leg.amount, Decimal):
            # Callers parse people's input with to_amount first; a leg carries the Decimal it gave.
            raise InvalidAmount(
                f"A leg's amount is a Decimal, not {type(leg.amount).__name__}.",
                details={"wallet": leg.wallet.pk, "amount": str(leg.amount)},
            )
        by_wallet[leg.wallet.pk] += to_amount(leg.amount, asset=leg.wallet.asset, positive=False)
        wallets[leg.wallet.pk] = leg.wallet
    for pk, amount in sorted(by_wallet.items()):
        if abs(amount) >= MAX_ABS_AMOUNT:
            asset = wallets[pk].asset
            raise InvalidAmount(
                f"The legs on wallet {pk} add up to more {asset.code} than one posting can carry.",
                details={"wallet": pk, "asset": asset.code, "amount": asset.format_amount(amount)},
            )
    return [Leg(wallets[pk], amount) for pk, amount in sorted(by_wallet.items()) if amount != 0]


def _check_balanced(legs: list[Leg]) -> None:
    per_asset: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        per_asset[leg.wallet.asset.code] += leg.amount
    unbalanced = {code: str(total) for code, total in per_asset.items() if total != 0}
    if unbalanced:
        raise UnbalancedTransfer("Legs must sum to zero per asset.", details={"unbalanced": unbalanced})


def _is_retryable(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "pgcode", None) in RETRYABLE_PGCODES


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
    A deadlock or serialization failure is retried when this is the outermost
    transaction, so it never reaches the caller there.
    """
    if kind not in TRANSFER_KINDS:
        raise InvalidAmount(f"Unknown transfer kind {kind!r}.")
    merged = _merge_legs(legs)
    if not merged:
        raise InvalidAmount("A transfer needs at least one non-zero leg.")
    _check_balanced(merged)
    request_hash = _fingerprint(kind=kind, legs=merged, reference=reference, reverses=reverses)
    fields = {
        "kind": kind,
        "initiator": initiator,
        "idempotency_key": idempotency_key or None,
        "request_hash": request_hash,
        "description": description,
        "reference": reference,
        "metadata": metadata or {},
        "created_by": created_by,
        "application": application,
        "reverses": reverses,
    }
    # Inside a caller's transaction a retry would replay only our savepoint of a dead transaction.
    retry = not transaction.get_connection().in_atomic_block
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            if connection.vendor == "postgresql":
                return pg_posting.post_once(
                    merged=merged,
                    fields=fields,
                    allow_frozen=allow_frozen,
                    refuse=_refuse,
                    refuse_out_of_range=_refuse_out_of_range,
                    replay=lambda: _replay(
                        initiator=initiator, idempotency_key=idempotency_key, request_hash=request_hash
                    ),
                )
            return _post_once(merged=merged, fields=fields, allow_frozen=allow_frozen)
        except OperationalError as exc:
            if not (retry and attempt < MAX_ATTEMPTS and _is_retryable(exc)):
                raise
            time.sleep(0.005 * attempt)
        except IntegrityError:
            # A twin with the same key (or a second reversal) committed between our check and our insert.
            if idempotency_key:
                original = _replay(initiator=initiator, idempotency_key=idempotency_key, request_hash=request_hash)
                if original is not None:
                    return original
            if reverses is not None and Transfer.objects.filter(reverses=reverses).exists():
                raise AlreadyReversed(
                    "This transfer has already been reversed.", details={"transfer": str(reverses.public_id)}
                )
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _refuse(leg: Leg, available: Decimal):
    asset = leg.wallet.asset
    raise InsufficientFunds(
        f"Insufficient {asset.code} balance.",
        details={
            "asset": asset.code,
            "available": asset.format_amount(available),
            "required": asset.format_amount(-leg.amount),
        },
    )


def _refuse_out_of_range(leg: Leg, balance: Decimal):
    asset = leg.wallet.asset
    raise BalanceOutOfRange(
        f"This transfer would take the {asset.code} balance of wallet {leg.wallet.pk} beyond the largest "
        "balance a wallet can hold.",
        details={
            "wallet": leg.wallet.pk,
            "asset": asset.code,
            "balance": asset.format_amount(balance),
            "amount": asset.format_amount(leg.amount),
        },
    )


def _post_once(*, merged: list[Leg], fields: dict, allow_frozen: bool) -> Transfer:
    with transaction.atomic():
        tracked_ids = [leg.wallet.pk for leg in merged if leg.wallet.tracks_balance]
        locked: dict[int, Wallet] = {}
        if tracked_ids:
            # ORDER BY under FOR UPDATE: PostgreSQL locks the rows in id order, so two transfers
            # over the same wallets queue instead of deadlocking. Hot system wallets are not locked.
            locked = {
                w.pk: w
                for w in Wallet.objects.select_for_update(of=("self",))
                .select_related("owner__customer", "owner__ledger_freeze")
                .filter(pk__in=tracked_ids)
                .order_by("pk")
            }
        if fields["idempotency_key"]:
            # Checked under the wallet locks: a concurrent twin over the same wallets has committed by now.
            original = _replay(
                initiator=fields["initiator"],
                idempotency_key=fields["idempotency_key"],
                request_hash=fields["request_hash"],
            )
            if original is not None:
                return original
        if not allow_frozen:
            check_not_frozen(locked.values())

        now = timezone.now()
        postings = []
        for leg in merged:
            balance_after = None
            wallet = locked.get(leg.wallet.pk)
            if wallet is not None:
                balance_after = wallet.balance + leg.amount
                if balance_after < 0 and not wallet.allow_negative:
                    _refuse(leg, wallet.balance)
                if abs(balance_after) >= MAX_ABS_AMOUNT:
                    _refuse_out_of_range(leg, wallet.balance)
            postings.append((leg, wallet, balance_after))

        transfer = Transfer.objects.create(**fields)
        # Postings before balances, as ledger_post_transfer writes them: on PostgreSQL a stored
        # balance may only become the balance_after of its wallet's last posting.
        Posting.objects.bulk_create(
            Posting(transfer=transfer, wallet_id=leg.wallet.pk, amount=leg.amount, balance_after=balance_after)
            for leg, _wallet, balance_after in postings
        )
        new_balances = {wallet.pk: balance_after for _leg, wallet, balance_after in postings if wallet is not None}
        if new_balances:
            # One UPDATE for every locked wallet: one round trip whatever the number of legs.
            Wallet.objects.filter(pk__in=new_balances).update(
                balance=Case(
                    *(When(pk=pk, then=Value(b)) for pk, b in new_balances.items()), output_field=AMOUNT_FIELD
                ),
                last_updated=now,
            )
            for pk, balance in new_balances.items():
                locked[pk].balance = balance
        transfer.posted_legs = [
            PostedLeg(wallet=leg.wallet, amount=leg.amount, balance_after=balance_after)
            for leg, _wallet, balance_after in postings
        ]
        return transfer


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
    reference: str = "",
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
        reference=reference,
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
    """Post a new transfer that exactly undoes `transfer`. A transfer is reversed at most once.

    Reversing twice (even by two staff members at the same moment) raises AlreadyReversed:
    the one-to-one `reverses` column lets only one reversal commit.
    """
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
        metadata={"reverses": str(transfer.public_id), "reason": reason},
        created_by=created_by,
        # Attributed to the partner application of what it undoes: its history shows it to them only.
        application=transfer.application,
        allow_frozen=True,
    )
