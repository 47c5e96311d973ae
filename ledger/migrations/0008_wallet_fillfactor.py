"""Leave room on wallet pages so that balance updates stay HOT (heap-only tuple) updates.

Every transfer rewrites the balance of each wallet it locks. With full pages (PostgreSQL's
default fillfactor of 100) the new row version lands on another page and every one of the
wallet table's indexes gets a new entry; with free space on the page, PostgreSQL keeps the new
version beside the old one and touches no index, since no indexed column changes. Applies to
pages written from now on; an existing table reaches it as its pages are rewritten.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE ledger_wallet SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE ledger_wallet RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_posting_functions")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
