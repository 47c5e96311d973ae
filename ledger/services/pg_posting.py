"""The PostgreSQL path of `post_transfer`: one call of the `ledger_post_transfer` function.

The function (migration 0007, replaced by 0009) does what `transfers._post_once` does through the
ORM, in the same order and inside one statement: lock the balance-tracking wallets in id order,
refuse a frozen owner, a balance that would go below zero or out of numeric(20,4)'s range, insert
the transfer (the idempotency key settled by `ON CONFLICT DO NOTHING` on its unique index), insert
the postings, update the balances. It keeps its plans for the life of the connection; planning
these statements on every call used to cost more than running them.

A single statement is a transaction of its own, so outside a caller's transaction it runs in
autocommit: one round trip per transfer instead of BEGIN, the statement and COMMIT. Inside a
caller's transaction it is one more statement of that transaction, under a savepoint. The
deferred zero-sum trigger checks the transfer when whichever of the two commits.
"""

import json
import uuid
from contextlib import nullcontext

from django.db import connection, transaction
from django.utils import timezone

from ledger.errors import WalletFrozen
from ledger.legs import PostedLeg
from ledger.models import Transfer

POST_SQL = """
SELECT transfer_id, refused_wallet, refusal, available, balances
FROM ledger_post_transfer(
    p_public_id => %(public_id)s::uuid, p_kind => %(kind)s, p_initiator => %(initiator)s,
    p_idempotency_key => %(idempotency_key)s, p_request_hash => %(request_hash)s,
    p_description => %(description)s, p_reference => %(reference)s, p_metadata => %(metadata)s::jsonb,
    p_reverses_id => %(reverses_id)s::bigint, p_created_by_id => %(created_by_id)s::bigint,
    p_application_id => %(application_id)s::bigint, p_now => %(now)s::timestamptz,
    p_wallets => %(wallets)s::bigint[], p_amounts => %(amounts)s::numeric[], p_allow_frozen => %(allow_frozen)s
)
"""


def post_once(*, merged, fields: dict, allow_frozen: bool, refuse, refuse_out_of_range, replay) -> Transfer:
    """One attempt. `refuse(leg, available)` raises InsufficientFunds, `refuse_out_of_range(leg,
    balance)` BalanceOutOfRange; `replay()` returns the original transfer for the key (raising
    IdempotencyConflict) or None."""
    now = timezone.now()
    public_id = uuid.uuid4()
    # A reversal inside a caller's transaction gets a savepoint: a refused insert (a second
    # reversal's unique violation) must leave that transaction usable for `post_transfer` to
    # explain it. Nothing else can fail that way (the idempotency key is settled by ON CONFLICT),
    # so no other transfer pays the savepoint's two round trips.
    needs_savepoint = connection.in_atomic_block and fields["reverses"] is not None
    with transaction.atomic() if needs_savepoint else nullcontext(), connection.cursor() as cursor:
        cursor.execute(
            POST_SQL,
            {
                "public_id": public_id,
                "kind": fields["kind"],
                "initiator": fields["initiator"],
                "idempotency_key": fields["idempotency_key"],
                "request_hash": fields["request_hash"],
                "description": fields["description"],
                "reference": fields["reference"],
                "metadata": json.dumps(fields["metadata"]),
                "reverses_id": fields["reverses"].pk if fields["reverses"] else None,
                "created_by_id": fields["created_by"].pk if fields["created_by"] else None,
                "application_id": fields["application"].pk if fields["application"] else None,
                "now": now,
                "wallets": [leg.wallet.pk for leg in merged],
                "amounts": [leg.amount for leg in merged],
                "allow_frozen": allow_frozen,
            },
        )
        transfer_id, refused_wallet, refusal, available, balances = cursor.fetchone()

    if transfer_id is not None:
        transfer = Transfer(pk=transfer_id, public_id=public_id, created_at=now, **fields)
        transfer._state.adding = False
        transfer._state.db = connection.alias
        transfer.posted_legs = [
            PostedLeg(wallet=leg.wallet, amount=leg.amount, balance_after=balance)
            for leg, balance in zip(merged, balances, strict=True)
        ]
        return transfer
    # Nothing was written. A retried request whose original committed gets the original back
    # (also when its funds are spent by now); anything else is refused.
    original = replay() if fields["idempotency_key"] else None
    if original is not None:
        return original
    if refusal == "frozen":
        raise WalletFrozen(
            "The wallet's owner is archived, inactive or frozen; no money moves.", details={"wallet": refused_wallet}
        )
    if refusal in {"insufficient", "out_of_range"}:
        leg = next(leg for leg in merged if leg.wallet.pk == refused_wallet)
        (refuse if refusal == "insufficient" else refuse_out_of_range)(leg, available)
    raise AssertionError(f"ledger_post_transfer refused ({refusal!r}) with no original to replay")  # pragma: no cover
