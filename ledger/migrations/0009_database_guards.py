"""Ledger guards that no session setting switches off.

Until now a client holding the app's database credentials could preset `ledger.zero_sum_checked`
to skip the zero-sum check, list pgtrigger's Protect triggers in `pgtrigger.ignore` to update or
delete postings and transfers, add postings to a committed transfer, change a wallet's asset or
`allow_negative`, and set a stored balance to any value. This migration replaces every one of
those guards with plain PL/pgSQL triggers that read no setting. What they guarantee, for any
role that neither owns the tables nor is a superuser (README, "Database role"):

1. Transfers and postings are never updated, deleted or truncated; wallets never deleted or
   truncated.
2. A posting joins only a transfer created by the same transaction: a BEFORE INSERT trigger
   stamps each transfer with `pg_current_xact_id()` (column `created_xact`, PostgreSQL only,
   not in the model: a trigger-set value no client chooses), and the posting trigger compares.
   The top-level id is used, so `post_transfer` inside a caller's savepoint passes.
3. Postings get their id from the sequence in their BEFORE INSERT trigger, whatever id the
   client sent, so the postings of one transaction come in increasing id order.
4. Every transfer sums to zero per asset at COMMIT: the deferred trigger runs the full check for
   the posting with the highest id of its transfer. By 2 and 3, once the transaction commits no
   posting can join that transfer, and a posting added after an early check (`SET CONSTRAINTS
   ... IMMEDIATE`) has a higher id and checks again.
5. A wallet is created with a zero balance, and no column of it but `balance` and
   `last_updated` ever changes. A hot wallet (`tracks_balance` false) keeps a zero stored
   balance; its postings carry no `balance_after`.
6. For a balance-tracking wallet, at every COMMIT: its postings in id order form one chain (the
   first one's `balance_after` is its amount, each next one's is the previous one's plus its
   amount), and the stored balance is the last one's `balance_after`, hence the sum of all its
   postings. How: a posting on such a wallet locks the wallet row (FOR NO KEY UPDATE, held until
   COMMIT, so writers of one wallet queue and ids follow commit order) and must continue the
   wallet's last posting; a balance update must set the `balance_after` of the wallet's last
   posting; at COMMIT, a posting that is the wallet's last must match the stored balance (so a
   posting without its balance update is refused too). A hand-written posting with an invented
   `balance_after` breaks the chain and is refused.

What they do not guarantee: that a balanced, consistent transfer written by hand is a legitimate
one (the database cannot tell a client's issuance from the app's); and the owner of the tables
or a superuser can still drop or disable the triggers (`session_replication_role = replica`).
`created_xact` is an xid8 of this cluster: a logical restore (pg_restore) into a new cluster
starts its transaction counter afresh, so a restored transfer's stamp may one day equal a new
transaction's id; restore physically (base backup, WAL) where that matters.

`ledger_post_transfer` is replaced (same signature): it inserts the postings before it updates
the balances (the balance check needs the posting first), and refuses without writing
(`out_of_range`) a balance that would leave numeric(20,4). Every name in these functions is
schema-qualified: a client may create a temporary table named `ledger_posting`, which an
unqualified name would find first.
"""

import importlib

import pgtrigger.migrations
from django.db import migrations, models

GUARDS = """
ALTER TABLE {s}.ledger_transfer ADD COLUMN created_xact xid8;

CREATE FUNCTION {s}.ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV: the reason, then the SQLSTATE condition to raise.
    RAISE EXCEPTION USING
        MESSAGE = format('ledger: %s (%s on %s refused)', TG_ARGV[0], TG_OP, TG_TABLE_NAME),
        ERRCODE = TG_ARGV[1];
END;
$$;

CREATE FUNCTION {s}.ledger_transfer_stamp_xact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.created_xact := pg_current_xact_id();
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_transfer_stamp_xact BEFORE INSERT ON {s}.ledger_transfer
    FOR EACH ROW EXECUTE FUNCTION {s}.ledger_transfer_stamp_xact();
CREATE TRIGGER ledger_transfer_append_only BEFORE UPDATE OR DELETE ON {s}.ledger_transfer
    FOR EACH ROW EXECUTE FUNCTION {s}.ledger_refuse(
        'ledger_transfer is append-only; post a reversal instead', 'raise_exception');
CREATE TRIGGER ledger_transfer_no_truncate BEFORE TRUNCATE ON {s}.ledger_transfer
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse('ledger_transfer is append-only', 'raise_exception');

CREATE FUNCTION {s}.ledger_posting_before_insert() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    transfer_xact xid8;
    tracked boolean;
    previous_after numeric;
BEGIN
    SELECT t.created_xact INTO transfer_xact FROM {s}.ledger_transfer t WHERE t.id = NEW.transfer_id;
    IF transfer_xact IS DISTINCT FROM pg_current_xact_id() THEN
        RAISE EXCEPTION 'ledger: transfer % was not created by this transaction; postings join only the '
            'transfer they are written with', NEW.transfer_id USING ERRCODE = 'check_violation';
    END IF;

    -- A balance-tracking wallet stays locked until COMMIT: its writers queue, so "its last
    -- posting" below is the last one any transaction will commit before ours.
    SELECT w.tracks_balance INTO tracked FROM {s}.ledger_wallet w
    WHERE w.id = NEW.wallet_id AND w.tracks_balance
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        SELECT w.tracks_balance INTO tracked FROM {s}.ledger_wallet w WHERE w.id = NEW.wallet_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger: posting names no wallet (wallet %)', NEW.wallet_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;

    IF tracked THEN
        IF NEW.balance_after IS NULL THEN
            RAISE EXCEPTION 'ledger: a posting on balance-tracking wallet % needs a balance_after that '
                'continues its last posting', NEW.wallet_id USING ERRCODE = 'check_violation';
        END IF;
        SELECT p.balance_after INTO previous_after FROM {s}.ledger_posting p
        WHERE p.wallet_id = NEW.wallet_id AND p.balance_after IS NOT NULL
        ORDER BY p.id DESC LIMIT 1;
        IF NEW.balance_after - NEW.amount <> COALESCE(previous_after, 0) THEN
            RAISE EXCEPTION 'ledger: a posting on wallet % must continue its last balance_after %, '
                'but % minus % is %', NEW.wallet_id, COALESCE(previous_after, 0), NEW.balance_after,
                NEW.amount, NEW.balance_after - NEW.amount USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.balance_after IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: wallet % keeps no stored balance; its postings carry no balance_after',
            NEW.wallet_id USING ERRCODE = 'check_violation';
    END IF;

    -- Taken here, after the wallet lock: ids of one wallet's postings follow commit order, and a
    -- client cannot slip a posting under another's id.
    NEW.id := nextval('{posting_sequence}'::regclass);
    RETURN NEW;
END;
$$;

CREATE FUNCTION {s}.ledger_posting_at_commit() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    stored numeric;
BEGIN
    IF NEW.balance_after IS NOT NULL THEN
        SELECT w.balance INTO stored FROM {s}.ledger_wallet w WHERE w.id = NEW.wallet_id;
        IF stored <> NEW.balance_after AND NOT EXISTS (
            SELECT 1 FROM {s}.ledger_posting p
            WHERE p.wallet_id = NEW.wallet_id AND p.balance_after IS NOT NULL AND p.id > NEW.id
        ) THEN
            RAISE EXCEPTION 'ledger: wallet % stores balance % but its last posting leaves %',
                NEW.wallet_id, stored, NEW.balance_after USING ERRCODE = 'check_violation';
        END IF;
    END IF;

    -- The whole transfer is checked once, by its posting with the highest id.
    IF EXISTS (SELECT 1 FROM {s}.ledger_posting p WHERE p.transfer_id = NEW.transfer_id AND p.id > NEW.id) THEN
        RETURN NULL;
    END IF;
    -- The wallet lookup is a scalar subquery so that the generic plan stays two index lookups
    -- per posting (a join's generic plan may hash the whole wallet table).
    IF EXISTS (
        SELECT 1
        FROM (
            SELECT (SELECT w.asset_id FROM {s}.ledger_wallet w WHERE w.id = p.wallet_id) AS asset_id, p.amount
            FROM {s}.ledger_posting p
            WHERE p.transfer_id = NEW.transfer_id
        ) AS legs
        GROUP BY legs.asset_id
        HAVING SUM(legs.amount) <> 0 OR legs.asset_id IS NULL
    ) THEN
        RAISE EXCEPTION 'ledger: transfer % does not sum to zero per asset', NEW.transfer_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

DROP TRIGGER ledger_posting_zero_sum ON {s}.ledger_posting;
DROP FUNCTION {s}.ledger_posting_zero_sum();

CREATE TRIGGER ledger_posting_before_insert BEFORE INSERT ON {s}.ledger_posting
    FOR EACH ROW EXECUTE FUNCTION {s}.ledger_posting_before_insert();
CREATE CONSTRAINT TRIGGER ledger_posting_at_commit AFTER INSERT ON {s}.ledger_posting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION {s}.ledger_posting_at_commit();
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON {s}.ledger_posting
    FOR EACH ROW EXECUTE FUNCTION {s}.ledger_refuse(
        'ledger_posting is append-only; post a reversal instead', 'raise_exception');
CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON {s}.ledger_posting
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse('ledger_posting is append-only', 'raise_exception');

CREATE FUNCTION {s}.ledger_wallet_balance_follows_postings() RETURNS trigger
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    last_after numeric;
BEGIN
    IF NOT OLD.tracks_balance THEN
        RAISE EXCEPTION 'ledger: wallet % keeps no stored balance (its balance is the sum of its postings)',
            OLD.id USING ERRCODE = 'check_violation';
    END IF;
    SELECT p.balance_after INTO last_after FROM {s}.ledger_posting p
    WHERE p.wallet_id = OLD.id AND p.balance_after IS NOT NULL
    ORDER BY p.id DESC LIMIT 1;
    IF COALESCE(last_after, 0) <> NEW.balance THEN
        RAISE EXCEPTION 'ledger: wallet % balance may only become the balance_after of its last posting (%), not %',
            OLD.id, COALESCE(last_after, 0), NEW.balance USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_wallet_never_deleted BEFORE DELETE ON {s}.ledger_wallet
    FOR EACH ROW EXECUTE FUNCTION {s}.ledger_refuse('wallets are never deleted', 'raise_exception');
CREATE TRIGGER ledger_wallet_no_truncate BEFORE TRUNCATE ON {s}.ledger_wallet
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse('wallets are never deleted', 'raise_exception');
CREATE TRIGGER ledger_wallet_starts_empty BEFORE INSERT ON {s}.ledger_wallet
    FOR EACH ROW WHEN (NEW.balance <> 0)
    EXECUTE FUNCTION {s}.ledger_refuse(
        'a wallet is created with a zero balance; money arrives by postings', 'check_violation');
-- A WHEN condition costs no function call on the hot path (a balance update). A column added
-- to Wallet must be added here (tests/ledger/test_database_guards.py lists them).
CREATE TRIGGER ledger_wallet_fixed_columns BEFORE UPDATE ON {s}.ledger_wallet
    FOR EACH ROW WHEN (
        ROW(NEW.id, NEW.asset_id, NEW.owner_id, NEW.system_code, NEW.tracks_balance, NEW.allow_negative,
            NEW.average_minute_cost, NEW.created_at)
        IS DISTINCT FROM
        ROW(OLD.id, OLD.asset_id, OLD.owner_id, OLD.system_code, OLD.tracks_balance, OLD.allow_negative,
            OLD.average_minute_cost, OLD.created_at)
    )
    EXECUTE FUNCTION {s}.ledger_refuse(
        'only balance and last_updated of a wallet change after it is created', 'check_violation');
CREATE TRIGGER ledger_wallet_balance_follows_postings BEFORE UPDATE ON {s}.ledger_wallet
    FOR EACH ROW WHEN (NEW.balance IS DISTINCT FROM OLD.balance)
    EXECUTE FUNCTION {s}.ledger_wallet_balance_follows_postings();
"""

# As in 0007, with the postings written before the balances, a balance out of numeric(20,4)'s
# range refused without writing, and schema-qualified names.
POST_TRANSFER = """
CREATE OR REPLACE FUNCTION {s}.ledger_post_transfer(
    p_public_id uuid, p_kind text, p_initiator text, p_idempotency_key text, p_request_hash text,
    p_description text, p_reference text, p_metadata jsonb, p_reverses_id bigint, p_created_by_id bigint,
    p_application_id bigint, p_now timestamptz, p_wallets bigint[], p_amounts numeric[], p_allow_frozen boolean,
    OUT transfer_id bigint, OUT refused_wallet bigint, OUT refusal text, OUT available numeric
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    w record;
    leg int;
    balances_after numeric[] := array_fill(NULL::numeric, ARRAY[cardinality(p_wallets)]);
    tracked bigint[] := '{{}}';
BEGIN
    -- Id order: two transfers over the same wallets queue instead of deadlocking. Hot system
    -- wallets (tracks_balance false) are neither locked nor updated.
    FOR w IN
        SELECT lw.id, lw.balance, lw.allow_negative,
               (u.id IS NOT NULL AND NOT u.is_active) OR COALESCE(c.is_archived, false) OR f.id IS NOT NULL AS frozen
        FROM {s}.ledger_wallet lw
        LEFT JOIN {s}.accounts_user u ON u.id = lw.owner_id
        LEFT JOIN {s}.accounts_customer c ON c.user_id = u.id
        LEFT JOIN {s}.ledger_frozenowner f ON f.user_id = u.id
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
        -- numeric(20,4) holds less than 10^16; the UPDATE would fail with an overflow.
        IF abs(w.balance + p_amounts[leg]) >= 1e16 THEN
            refused_wallet := w.id;
            refusal := 'out_of_range';
            available := w.balance;
            RETURN;
        END IF;
        balances_after[leg] := w.balance + p_amounts[leg];
        tracked := tracked || w.id;
    END LOOP;

    INSERT INTO {s}.ledger_transfer (public_id, kind, initiator, idempotency_key, request_hash, description,
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

    -- Postings first: a stored balance may only become the balance_after of its last posting.
    INSERT INTO {s}.ledger_posting (transfer_id, wallet_id, amount, balance_after, created_at)
    SELECT transfer_id, legs.wallet_id, legs.amount, legs.balance_after, p_now
    FROM unnest(p_wallets, p_amounts, balances_after) AS legs(wallet_id, amount, balance_after);

    UPDATE {s}.ledger_wallet lw
    SET balance = balances_after[array_position(p_wallets, lw.id)], last_updated = p_now
    WHERE lw.id = ANY(tracked);
END;
$$;
"""

DROP_GUARDS = """
DROP TRIGGER ledger_wallet_balance_follows_postings ON {s}.ledger_wallet;
DROP TRIGGER ledger_wallet_fixed_columns ON {s}.ledger_wallet;
DROP TRIGGER ledger_wallet_starts_empty ON {s}.ledger_wallet;
DROP TRIGGER ledger_wallet_no_truncate ON {s}.ledger_wallet;
DROP TRIGGER ledger_wallet_never_deleted ON {s}.ledger_wallet;
DROP FUNCTION {s}.ledger_wallet_balance_follows_postings();
DROP TRIGGER ledger_posting_no_truncate ON {s}.ledger_posting;
DROP TRIGGER ledger_posting_append_only ON {s}.ledger_posting;
DROP TRIGGER ledger_posting_at_commit ON {s}.ledger_posting;
DROP TRIGGER ledger_posting_before_insert ON {s}.ledger_posting;
DROP FUNCTION {s}.ledger_posting_at_commit();
DROP FUNCTION {s}.ledger_posting_before_insert();
DROP TRIGGER ledger_transfer_no_truncate ON {s}.ledger_transfer;
DROP TRIGGER ledger_transfer_append_only ON {s}.ledger_transfer;
DROP TRIGGER ledger_transfer_stamp_xact ON {s}.ledger_transfer;
DROP FUNCTION {s}.ledger_transfer_stamp_xact();
DROP FUNCTION {s}.ledger_refuse();
ALTER TABLE {s}.ledger_transfer DROP COLUMN created_xact;
"""


def _names(schema_editor) -> dict:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema(), pg_get_serial_sequence(current_schema() || '.ledger_posting', 'id')")
        schema, posting_sequence = cursor.fetchone()
    return {"s": schema_editor.quote_name(schema), "posting_sequence": posting_sequence}


def create_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    names = _names(schema_editor)
    schema_editor.execute(GUARDS.format(**names), params=None)
    schema_editor.execute(POST_TRANSFER.format(**names), params=None)


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    names = _names(schema_editor)
    schema_editor.execute(DROP_GUARDS.format(**names), params=None)
    previous = importlib.import_module("ledger.migrations.0007_posting_functions")
    schema_editor.execute(previous.POST_TRANSFER, params=None)
    schema_editor.execute(previous.ZERO_SUM_TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0008_wallet_fillfactor")]

    operations = [
        # pgtrigger's Protect triggers honour `pgtrigger.ignore`; plain triggers replace them below.
        pgtrigger.migrations.RemoveTrigger(model_name="posting", name="ledger_posting_append_only"),
        pgtrigger.migrations.RemoveTrigger(model_name="posting", name="ledger_posting_no_truncate"),
        pgtrigger.migrations.RemoveTrigger(model_name="transfer", name="ledger_transfer_append_only"),
        pgtrigger.migrations.RemoveTrigger(model_name="transfer", name="ledger_transfer_no_truncate"),
        pgtrigger.migrations.RemoveTrigger(model_name="wallet", name="ledger_wallet_never_deleted"),
        migrations.AddIndex(
            model_name="posting",
            index=models.Index(
                condition=models.Q(("balance_after__isnull", False)),
                fields=["wallet", "id"],
                name="ledger_posting_chain_idx",
            ),
        ),
        migrations.RunPython(create_guards, drop_guards, elidable=False),
    ]
