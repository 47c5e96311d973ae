"""The audit trail stays append-only whatever session setting a client writes (PostgreSQL)."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import AuditEntry
from accounts.services import record_audit
from tests.factories.accounts import CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditentry SET after = '{}'::jsonb",
        "DELETE FROM accounts_auditentry",
        "TRUNCATE accounts_auditentry CASCADE",
    ],
)
def test_no_setting_lets_a_client_rewrite_the_audit_trail(sql):
    entry = record_audit(actor=UserFactory(), action="change", obj=CustomerFactory(), before={}, after={"x": 1})
    with connection.cursor() as cursor:
        names = "{accounts_audit_append_only,accounts_audit_no_truncate,pgtrigger}"
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, false)", [names])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred foreign-key check
        try:
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(sql)
        finally:
            cursor.execute("RESET pgtrigger.ignore")
    assert AuditEntry.objects.get(pk=entry.pk).after == {"x": 1}
