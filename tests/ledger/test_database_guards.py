"""PostgreSQL refuses to change the ledger's history, and refuses an unbalanced transfer at COMMIT."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from ledger.models import Posting, SystemWallet, Transfer
from ledger.services import system_wallet, user_wallet
from tests.factories.ledger import TransferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_transfer SET description = 'edited' WHERE id = %(transfer)s",
        "DELETE FROM ledger_transfer WHERE id = %(transfer)s",
        "TRUNCATE ledger_transfer CASCADE",
        "UPDATE ledger_posting SET amount = amount + 1 WHERE transfer_id = %(transfer)s",
        "DELETE FROM ledger_posting WHERE transfer_id = %(transfer)s",
        "TRUNCATE ledger_posting",
    ],
)
def test_history_cannot_be_changed(sql):
    transfer = TransferFactory()
    with connection.cursor() as cursor:
        # Run the deferred zero-sum checks now: PostgreSQL refuses TRUNCATE while they are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(InternalError, match="pgtrigger"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"transfer": transfer.pk})
    assert Transfer.objects.filter(pk=transfer.pk, description="").exists()
    assert transfer.postings.count() == 2


def test_orm_update_is_refused_too():
    transfer = TransferFactory()
    with pytest.raises(InternalError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(description="edited")
    with pytest.raises(InternalError), transaction.atomic():
        Posting.objects.filter(transfer=transfer).delete()


@pytest.mark.django_db(transaction=True)
def test_unbalanced_transfer_fails_at_commit(coin):
    transfer = TransferFactory()
    wallet = user_wallet(user=transfer.postings.exclude(wallet__owner=None).get().wallet.owner, asset=coin)
    connection.ensure_connection()
    with (
        pytest.raises(IntegrityError, match="does not sum to zero"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_transfer (public_id, kind, initiator, request_hash, description, reference, "
            "metadata, created_at) VALUES (gen_random_uuid(), 'adjustment', 'raw', '', '', '', '{}', now()) "
            "RETURNING id"
        )
        raw_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_posting (transfer_id, wallet_id, amount, created_at) VALUES (%s, %s, 5, now())",
            [raw_id, wallet.pk],
        )
        # Every statement succeeds; only the deferred trigger at COMMIT refuses.
    assert not Transfer.objects.filter(initiator="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_balanced_raw_insert_commits(coin):
    """The trigger checks per asset, not per posting: a balanced pair commits."""
    transfer = TransferFactory()
    wallet = transfer.postings.exclude(wallet__owner=None).get().wallet
    revenue = system_wallet(code=SystemWallet.REVENUE, asset=coin)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_transfer (public_id, kind, initiator, request_hash, description, reference, "
            "metadata, created_at) VALUES (gen_random_uuid(), 'adjustment', 'raw', '', '', '', '{}', now()) "
            "RETURNING id"
        )
        raw_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_posting (transfer_id, wallet_id, amount, created_at) VALUES "
            "(%s, %s, -1, now()), (%s, %s, 1, now())",
            [raw_id, wallet.pk, raw_id, revenue.pk],
        )
    assert Transfer.objects.get(initiator="raw").postings.count() == 2
    assert sum(p.amount for p in Transfer.objects.get(initiator="raw").postings.all()) == Decimal(0)


def test_wallets_cannot_be_deleted(coin):
    transfer = TransferFactory()
    wallet = transfer.postings.exclude(wallet__owner=None).get().wallet
    with pytest.raises(InternalError, match="pgtrigger"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_wallet WHERE id = %s", [wallet.pk])


@pytest.mark.django_db(transaction=True)
def test_posting_on_a_missing_wallet_fails_at_commit(coin):
    """Postings carry no database foreign key to their wallet (no row lock on hot wallets):
    the zero-sum trigger refuses a posting whose wallet does not exist instead."""
    transfer = TransferFactory()
    wallet = transfer.postings.exclude(wallet__owner=None).get().wallet
    with (
        pytest.raises(IntegrityError, match="names no wallet"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_transfer (public_id, kind, initiator, request_hash, description, reference, "
            "metadata, created_at) VALUES (gen_random_uuid(), 'adjustment', 'raw', '', '', '', '{}', now()) "
            "RETURNING id"
        )
        raw_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_posting (transfer_id, wallet_id, amount, created_at) VALUES "
            "(%s, %s, -1, now()), (%s, %s, 1, now())",
            [raw_id, wallet.pk, raw_id, 987654321],
        )
    assert not Transfer.objects.filter(initiator="raw").exists()
