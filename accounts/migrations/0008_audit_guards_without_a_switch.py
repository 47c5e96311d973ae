"""The audit trail refuses UPDATE, DELETE and TRUNCATE with plain triggers.

pgtrigger's Protect trigger honoured the session setting `pgtrigger.ignore`, which any client
with the app's credentials may set, so the "append-only" audit trail could be rewritten. These
triggers read no setting: only the table's owner (ALTER TABLE ... DISABLE TRIGGER) or a
superuser (session_replication_role) can get past them, and production runs the app as neither
(README, "Database role"). Migration 0006 redacted existing rows while the old trigger stood.
"""

import pgtrigger.migrations
from django.db import migrations

GUARDS = """
CREATE FUNCTION {s}.accounts_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = format('accounts: the audit trail is append-only (%s on %s refused)', TG_OP, TG_TABLE_NAME),
        ERRCODE = 'raise_exception';
END;
$$;
CREATE TRIGGER accounts_audit_append_only BEFORE UPDATE OR DELETE ON {s}.accounts_auditentry
    FOR EACH ROW EXECUTE FUNCTION {s}.accounts_audit_refuse();
CREATE TRIGGER accounts_audit_no_truncate BEFORE TRUNCATE ON {s}.accounts_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION {s}.accounts_audit_refuse();
"""

DROP = """
DROP TRIGGER accounts_audit_no_truncate ON {s}.accounts_auditentry;
DROP TRIGGER accounts_audit_append_only ON {s}.accounts_auditentry;
DROP FUNCTION {s}.accounts_audit_refuse();
"""


def _schema(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return schema_editor.quote_name(cursor.fetchone()[0])


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARDS.format(s=_schema(schema_editor)), params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP.format(s=_schema(schema_editor)), params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_customer_erase_permission")]

    operations = [
        pgtrigger.migrations.RemoveTrigger(model_name="auditentry", name="accounts_audit_append_only"),
        migrations.RunPython(create, drop, elidable=False),
    ]
