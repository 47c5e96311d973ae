"""`ledger_post_transfer`: the PostgreSQL path of `post_transfer` as one server-side function.

Why a function: a transfer is a few cheap statements (lock the tracked wallets, insert the
transfer, update balances, insert postings), and on PostgreSQL most of their cost was planning
them on every call: with array parameters the plan cache keeps choosing custom plans. A PL/pgSQL
function keeps its statements' plans for the life of the connection, and `plan_cache_mode =
force_generic_plan` makes it use them. Every statement is written so that its generic plan is an
index lookup whatever the table sizes.

The deferred zero-sum constraint trigger moves here from pgtrigger for the same reason: its
check query was planned afresh at every COMMIT, and pgtrigger's function template has no place
for the function's `SET plan_cache_mode`. It still fires on every posting row at COMMIT, checks
each transfer once (the events of one transfer's postings come one after another; a
transaction-local setting remembers the last transfer checked), and refuses the COMMIT when a
transfer does not sum to zero per asset or names a wallet that does not exist. (A posting added
to an already-checked transfer after `SET CONSTRAINTS ... IMMEDIATE` could slip by; the
reconciliation still reports it.)

The contract (checked by `ledger.services.pg_posting`): legs arrive merged, one per wallet; the
function locks the balance-tracking ones in id order, refuses (without writing) a frozen owner or
a balance that would go below zero, settles the idempotency key with ON CONFLICT, then writes.
It returns `transfer_id`, or a `refusal` (`frozen`, `insufficient` with `available`, `duplicate`)
naming `refused_wallet`. A later change to the function is a new migration, never an edit here.
"""

import pgtrigger.migrations
from django.db import migrations

POST_TRANSFER = """
CREATE OR REPLACE FUNCTION ledger_post_transfer(
    p_public_id uuid, p_kind text, p_initiator text, p_idempotency_key text, p_request_hash text,
    p_description text, p_reference text, p_metadata jsonb, p_reverses_id bigint, p_created_by_id bigint,
    p_application_id bigint, p_now timestamptz, p_wallets bigint[], p_amounts numeric[], p_allow_frozen boolean,
    OUT transfer_id bigint, OUT refused_wallet bigint, OUT refusal text, OUT available numeric
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    w record;
    leg int;
    balances_after numeric[] := array_fill(NULL::numeric, ARRAY[cardinality(p_wallets)]);
    tracked bigint[] := '{}';
BEGIN
    -- Id order: two transfers over the same wallets queue instead of deadlocking. Hot system
    -- wallets (tracks_balance false) are neither locked nor updated.
    FOR w IN
        SELECT lw.id, lw.balance, lw.allow_negative,
               (u.id IS NOT NULL AND NOT u.is_active) OR COALESCE(c.is_archived, false) OR f.id IS NOT NULL AS frozen
        FROM ledger_wallet lw
        LEFT JOIN accounts_user u ON u.id = lw.owner_id
        LEFT JOIN accounts_customer c ON c.user_id = u.id
        LEFT JOIN ledger_frozenowner f ON f.user_id = u.id
        WHERE lw.id = ANY(p_wallets) AND lw.tracks_balance
        ORDER BY lw.id
        FOR UPDATE OF lw
    LOOP
        leg := array_position(p_wallets, w.id);
        IF w.frozen AND NOT p_allow_frozen THEN
            refused_wallet := w.id;
            refusal := 'frozen';
            RETURN;
        END IF;
        IF w.balance + p_amounts[leg] < 0 AND NOT w.allow_negative THEN
            refused_wallet := w.id;
            refusal := 'insufficient';
            available := w.balance;
            RETURN;
        END IF;
        balances_after[leg] := w.balance + p_amounts[leg];
        tracked := tracked || w.id;
    END LOOP;

    INSERT INTO ledger_transfer (public_id, kind, initiator, idempotency_key, request_hash, description,
        reference, metadata, reverses_id, created_by_id, application_id, created_at)
    VALUES (p_public_id, p_kind, p_initiator, p_idempotency_key, p_request_hash, p_description,
        p_reference, p_metadata, p_reverses_id, p_created_by_id, p_application_id, p_now)
    ON CONFLICT (initiator, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id INTO transfer_id;
    IF transfer_id IS NULL THEN
        -- The key is taken: a retry, or a twin that committed while we waited. Nothing is written.
        refusal := 'duplicate';
        RETURN;
    END IF;

    UPDATE ledger_wallet lw
    SET balance = balances_after[array_position(p_wallets, lw.id)], last_updated = p_now
    WHERE lw.id = ANY(tracked);

    INSERT INTO ledger_posting (transfer_id, wallet_id, amount, balance_after, created_at)
    SELECT transfer_id, legs.wallet_id, legs.amount, legs.balance_after, p_now
    FROM unnest(p_wallets, p_amounts, balances_after) AS legs(wallet_id, amount, balance_after);
END;
$$;
"""

ZERO_SUM_TRIGGER = """
CREATE OR REPLACE FUNCTION ledger_posting_zero_sum() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF current_setting('ledger.zero_sum_checked', true) = NEW.transfer_id::text THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('ledger.zero_sum_checked', NEW.transfer_id::text, true);
    -- The wallet lookup is a scalar subquery so that the generic plan stays two index lookups
    -- per posting (a join's generic plan may hash the whole wallet table).
    IF EXISTS (
        SELECT 1
        FROM (
            SELECT (SELECT w.asset_id FROM ledger_wallet w WHERE w.id = p.wallet_id) AS asset_id, p.amount
            FROM ledger_posting p
            WHERE p.transfer_id = NEW.transfer_id
        ) AS legs
        GROUP BY legs.asset_id
        HAVING SUM(legs.amount) <> 0 OR legs.asset_id IS NULL
    ) THEN
        RAISE EXCEPTION 'ledger: transfer % does not sum to zero per asset (or names no wallet)', NEW.transfer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_posting_zero_sum
    AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_posting_zero_sum();
"""

DROP = """
DROP TRIGGER IF EXISTS ledger_posting_zero_sum ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_posting_zero_sum();
DROP FUNCTION IF EXISTS ledger_post_transfer(uuid, text, text, text, text, text, text, jsonb, bigint, bigint,
    bigint, timestamptz, bigint[], numeric[], boolean);
"""


def create_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POST_TRANSFER, params=None)
        schema_editor.execute(ZERO_SUM_TRIGGER, params=None)


def drop_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_admin_filter_indexes")]

    operations = [
        # The pgtrigger version of the zero-sum trigger goes; its replacement is created below.
        pgtrigger.migrations.RemoveTrigger(model_name="posting", name="ledger_posting_zero_sum"),
        migrations.RunPython(create_functions, drop_functions, elidable=False),
    ]
