"""The PostgreSQL path of `post_transfer`: the same steps in four round trips instead of seven.

BEGIN; lock the balance-tracking wallets in id order (with what the frozen check needs);
one statement that inserts the transfer, updates the locked balances and inserts the postings;
COMMIT. The idempotency key is settled by `ON CONFLICT DO NOTHING` on its unique index, so the
common path never looks the key up: only a conflict (a retry, or a twin that committed first)
or a refused transfer reads the original. Semantics are those of the ORM path in `transfers`.
"""

import json
import uuid

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Customer, User
from ledger.errors import WalletFrozen
from ledger.models import FrozenOwner, Posting, Transfer, Wallet

LOCK_SQL = f"""
SELECT w.id, w.balance, w.allow_negative,
       (u.id IS NOT NULL AND NOT u.is_active) OR COALESCE(c.is_archived, false) OR f.id IS NOT NULL
FROM {Wallet._meta.db_table} w
LEFT JOIN {User._meta.db_table} u ON u.id = w.owner_id
LEFT JOIN {Customer._meta.db_table} c ON c.user_id = u.id
LEFT JOIN {FrozenOwner._meta.db_table} f ON f.user_id = u.id
WHERE w.id = ANY(%s)
ORDER BY w.id
FOR UPDATE OF w
"""

POST_SQL = f"""
WITH t AS (
    INSERT INTO {Transfer._meta.db_table} (public_id, kind, initiator, idempotency_key, request_hash, description,
        reference, metadata, reverses_id, created_by_id, application_id, created_at)
    VALUES (%(public_id)s, %(kind)s, %(initiator)s, %(idempotency_key)s, %(request_hash)s, %(description)s,
        %(reference)s, %(metadata)s::jsonb, %(reverses_id)s, %(created_by_id)s, %(application_id)s, %(now)s)
    ON CONFLICT (initiator, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id
), balances AS (
    UPDATE {Wallet._meta.db_table} w SET balance = v.balance, last_updated = %(now)s
    FROM t, unnest(%(wallet_ids)s::bigint[], %(balances)s::numeric[]) AS v(id, balance)
    WHERE w.id = v.id
), postings AS (
    INSERT INTO {Posting._meta.db_table} (transfer_id, wallet_id, amount, balance_after, created_at)
    SELECT t.id, v.wallet_id, v.amount, v.balance_after, %(now)s
    FROM t, unnest(%(leg_wallets)s::bigint[], %(leg_amounts)s::numeric[], %(leg_after)s::numeric[])
        AS v(wallet_id, amount, balance_after)
)
SELECT id FROM t
"""


def post_once(*, merged, fields: dict, allow_frozen: bool, refuse, replay) -> Transfer:
    """One attempt. `refuse(leg, available)` raises InsufficientFunds; `replay()` returns the
    original transfer for the key (raising IdempotencyConflict) or None."""
    with transaction.atomic(), connection.cursor() as cursor:
        tracked_ids = [leg.wallet.pk for leg in merged if leg.wallet.tracks_balance]
        locked = {}
        if tracked_ids:
            cursor.execute(LOCK_SQL, [tracked_ids])
            locked = {row[0]: row[1:] for row in cursor.fetchall()}

        legs = []
        for leg in merged:
            balance_after = None
            if leg.wallet.pk in locked:
                balance, allow_negative, frozen = locked[leg.wallet.pk]
                if frozen and not allow_frozen:
                    original = fields["idempotency_key"] and replay()
                    if original:
                        return original
                    raise WalletFrozen(
                        "The wallet's owner is archived, inactive or frozen; no money moves.",
                        details={"wallet": leg.wallet.pk},
                    )
                balance_after = balance + leg.amount
                if balance_after < 0 and not allow_negative:
                    original = fields["idempotency_key"] and replay()
                    if original:
                        return original
                    refuse(leg, balance)
            legs.append((leg, balance_after))

        now = timezone.now()
        public_id = uuid.uuid4()
        new_balances = {leg.wallet.pk: after for leg, after in legs if after is not None}
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
                "wallet_ids": list(new_balances),
                "balances": list(new_balances.values()),
                "leg_wallets": [leg.wallet.pk for leg, _ in legs],
                "leg_amounts": [leg.amount for leg, _ in legs],
                "leg_after": [after for _, after in legs],
            },
        )
        row = cursor.fetchone()
        if row is None:
            # The key is taken: a retry, or a twin that committed while we waited. Nothing was written.
            return replay()
        transfer = Transfer(pk=row[0], public_id=public_id, created_at=now, **fields)
        transfer._state.adding = False
        transfer._state.db = connection.alias
        return transfer
