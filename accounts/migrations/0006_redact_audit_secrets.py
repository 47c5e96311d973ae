"""Redact secrets that audit rows written before accounts.audit's secret rules still hold.

Until then a snapshot copied every field but a few personal ones, so editing an Integration
in admin stored its decrypted API key and secret in AuditEntry.before/after, readable by
support. This migration applies today's rules (accounts.audit.redact_stored_snapshot: every
encrypted field, the secret-name rule, the same rule inside JSON values) to every existing row.

It is the one sanctioned write to the append-only audit table: it replaces secret values by
the "<redacted>" marker and changes nothing else (actor, action, object, time, every other
value stay). On PostgreSQL the table's append-only triggers refuse updates; this migration, run
as the table's owner, disables them for these UPDATEs only (ALTER TABLE ... DISABLE TRIGGER
USER, in the migration's own transaction, enabled again before it commits). Not reversible:
the secrets are gone, which is the point.

Models are read from the project's app registry rather than the migration state: whether a
field is encrypted is a fact about today's models, and the state of accounts' migrations does
not include the apps above accounts (games, billing, support) that own those fields.
"""

import contextlib

from django.apps import apps as project_apps
from django.db import connections, migrations, transaction


@contextlib.contextmanager
def append_only_lifted(using: str):
    """The audit table's own triggers off for the enclosed UPDATEs (PostgreSQL, as the owner)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred check of rows written earlier in this transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER USER")
        try:
            yield
        finally:
            cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER USER")


def model_of(content_type):
    try:
        return project_apps.get_model(content_type.app_label, content_type.model)
    except LookupError:
        return None  # the model is gone: the name rule alone applies


def redact_rows(entries, *, vendor: str) -> int:
    """Rewrite the snapshots of every row in `entries` that still holds a secret; return how many."""
    from accounts.audit import redact_stored_snapshot

    lift = append_only_lifted(entries.db) if vendor == "postgresql" else contextlib.nullcontext()
    changed = 0
    with lift:
        for entry in entries.select_related("content_type").order_by("pk").iterator(chunk_size=500):
            model = model_of(entry.content_type)
            before = None if entry.before is None else redact_stored_snapshot(entry.before, model)
            after = None if entry.after is None else redact_stored_snapshot(entry.after, model)
            if before != entry.before or after != entry.after:
                type(entry)._base_manager.filter(pk=entry.pk).update(before=before, after=after)
                changed += 1
    return changed


def redact_existing_rows(apps, schema_editor):
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    redact_rows(AuditEntry.objects.using(schema_editor.connection.alias), vendor=schema_editor.connection.vendor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_admin_filter_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(redact_existing_rows, migrations.RunPython.noop)]
