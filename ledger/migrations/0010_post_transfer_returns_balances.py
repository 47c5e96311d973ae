"""`ledger_post_transfer` also answers the balance after each leg (`balances`, in the order of
`p_wallets`; NULL for wallets that track no balance), so a caller that shows the new balances
(the partner API's purchase) needs no query to read back the postings it just wrote.

Otherwise the function of 0009, unchanged. Changing a function's OUT parameters needs DROP
and CREATE; default privileges (README, "Database role") grant EXECUTE on the new one.
"""

import importlib

from django.db import migrations

previous = importlib.import_module("ledger.migrations.0009_database_guards")

SIGNATURE = (
    "uuid, text, text, text, text, text, text, jsonb, bigint, bigint, bigint, timestamptz, bigint[], numeric[], boolean"
)


def _with_balances(sql: str) -> str:
    out_old = "OUT transfer_id bigint, OUT refused_wallet bigint, OUT refusal text, OUT available numeric"
    end_old = """    WHERE lw.id = ANY(tracked);
END;"""
    assert out_old in sql and end_old in sql, "0009's function text is not what 0010 extends"
    sql = sql.replace(out_old, out_old + ", OUT balances numeric[]")
    return sql.replace(end_old, """    WHERE lw.id = ANY(tracked);
    balances := balances_after;
END;""")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    names = previous._names(schema_editor)
    schema_editor.execute(f"DROP FUNCTION {names['s']}.ledger_post_transfer({SIGNATURE})", params=None)
    schema_editor.execute(_with_balances(previous.POST_TRANSFER).format(**names), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    names = previous._names(schema_editor)
    schema_editor.execute(f"DROP FUNCTION {names['s']}.ledger_post_transfer({SIGNATURE})", params=None)
    schema_editor.execute(previous.POST_TRANSFER.format(**names), params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0009_database_guards")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
