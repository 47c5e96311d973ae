from decimal import Decimal

import pytest
from django.db import connection

from ledger.models import Asset
from ledger.services import issue
from tests.factories.accounts import CustomerFactory


@pytest.fixture
def coin(db):
    return Asset.objects.get(code="COIN")


@pytest.fixture
def funded(coin):
    """A player holding 100.00 COIN."""

    def make(amount="100.00"):
        user = CustomerFactory().user
        if Decimal(amount):
            issue(user=user, asset=coin, amount=amount, initiator="system:test")
        return user

    return make


@pytest.fixture
def force_balance():
    """Overwrite a stored balance behind the ledger's back, as only a superuser still can.

    PostgreSQL refuses the update from the app's role (tests/ledger/test_database_guards.py);
    the tests connect as the superuser `postgres`, whose `session_replication_role = replica`
    stops the guard triggers for this one statement (after running the checks still pending, so
    that they judge the ledger as it was). The reconciliation is what finds it.
    """

    def force(wallet, balance) -> None:
        on_postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            if on_postgres:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute("UPDATE ledger_wallet SET balance = %s WHERE id = %s", [Decimal(balance), wallet.pk])
            finally:
                if on_postgres:
                    cursor.execute("RESET session_replication_role")

    return force
