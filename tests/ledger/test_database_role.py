"""The production database role of README.md ("Database role"), created from that very SQL in the
test database: it posts transfers, and cannot switch the ledger's guards off.

Everything here, the role included (CREATE ROLE is transactional), is rolled back with the test.
"""

import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, InternalError, ProgrammingError, connection, transaction

from ledger.services import gift, user_wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

README = Path(settings.BASE_DIR) / "README.md"


def _role_sql(*, role: str, database: str, owner: str) -> list[str]:
    """The statements of the README's Database role block, for this database and owner."""
    section = README.read_text().split("### Database role", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    sql = "\n".join(line for line in block.splitlines() if not line.startswith("--"))
    sql = re.sub(r"\bnodebyte_app\b", role, sql)
    sql = sql.replace("ON DATABASE nodebyte ", f'ON DATABASE "{database}" ')
    sql = sql.replace("FOR ROLE nodebyte ", f'FOR ROLE "{owner}" ')
    assert "nodebyte" not in sql, "the README's SQL names something this test does not substitute"
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


@pytest.fixture
def app_role():
    """The README's role, current for the test's connection (SET ROLE) until the test ends."""
    role = f"nb_app_test_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_user")
        database, owner = cursor.fetchone()
        for statement in _role_sql(role=role, database=database, owner=owner):
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {role}")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _refused(sql: str, error=DatabaseError) -> str:
    with pytest.raises(error) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    return str(exc.value)


def test_readme_role_posts_transfers_but_cannot_switch_the_guards_off(funded, coin, app_role):
    alice, bob = funded("100.00"), funded("0")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (app_role, False, False)

    # A transfer through ledger_post_transfer, its COMMIT-time checks run as the role too.
    transfer = gift(sender=alice, receiver=bob, asset=coin, amount="12.50", idempotency_key="role")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert user_wallet(user=bob, asset=coin).balance == Decimal("12.50")

    assert "must be owner" in _refused("ALTER TABLE ledger_posting DISABLE TRIGGER ALL", ProgrammingError)
    assert "must be owner" in _refused(
        "ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_append_only", ProgrammingError
    )
    assert "must be owner" in _refused("DROP TRIGGER ledger_posting_append_only ON ledger_posting", ProgrammingError)
    assert "permission denied" in _refused("SET session_replication_role = replica", ProgrammingError)
    assert "permission denied" in _refused("TRUNCATE ledger_posting", ProgrammingError)
    with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', '{' || string_agg(tgname, ',') || '}', true) FROM pg_trigger "
            "WHERE tgrelid = 'ledger_posting'::regclass"
        )
        cursor.execute("UPDATE ledger_posting SET amount = amount * 2 WHERE transfer_id = %s", [transfer.pk])
    assert sorted(p.amount for p in transfer.postings.all()) == [Decimal("-12.50"), Decimal("12.50")]
