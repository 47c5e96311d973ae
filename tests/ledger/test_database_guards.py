"""PostgreSQL refuses what would change the ledger's history or break its balances, whatever the
session settings of the client that asks (migration 0009): these tests write raw SQL, as a client
holding the app's database credentials could."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.utils import timezone

from ledger.models import Asset, Posting, SystemWallet, Transfer, Wallet
from ledger.services import system_wallet
from tests.factories.accounts import UserFactory
from tests.factories.ledger import TransferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

RAW_TRANSFER = (
    "INSERT INTO ledger_transfer (public_id, kind, initiator, request_hash, description, reference, "
    "metadata, created_at) VALUES (gen_random_uuid(), 'adjustment', 'raw', '', '', '', '{}', now()) RETURNING id"
)
RAW_POSTING = (
    "INSERT INTO ledger_posting (transfer_id, wallet_id, amount, balance_after, created_at) "
    "VALUES (%s, %s, %s, %s, now())"
)


def _raw_transfer(cursor) -> int:
    cursor.execute(RAW_TRANSFER)
    return cursor.fetchone()[0]


def _post(cursor, transfer_id: int, wallet: Wallet, amount, balance_after=None) -> None:
    cursor.execute(RAW_POSTING, [transfer_id, wallet.pk, Decimal(amount), balance_after])


def _customer_wallet() -> Wallet:
    """A customer's COIN wallet holding 10.00 (one committed or enclosing deposit)."""
    return TransferFactory().postings.exclude(wallet__owner=None).get().wallet


def _hot(code=SystemWallet.REVENUE) -> Wallet:
    return system_wallet(code=code, asset=Asset.objects.get(code="COIN"))


def _ignore_every_ledger_trigger(cursor) -> None:
    """What `pgtrigger.ignore` does, for every trigger on the ledger's tables at once."""
    cursor.execute(
        "SELECT string_agg(tgname, ',') FROM pg_trigger "
        "WHERE tgrelid IN ('ledger_transfer'::regclass, 'ledger_posting'::regclass, 'ledger_wallet'::regclass)"
    )
    names = cursor.fetchone()[0]
    cursor.execute("SELECT set_config('pgtrigger.ignore', %s, false)", ["{" + names + "}"])


# --- The history is append-only -------------------------------------------------------------

HISTORY_CHANGES = [
    "UPDATE ledger_transfer SET description = 'edited' WHERE id = %(transfer)s",
    "DELETE FROM ledger_transfer WHERE id = %(transfer)s",
    "TRUNCATE ledger_transfer CASCADE",
    "UPDATE ledger_posting SET amount = amount + 1 WHERE transfer_id = %(transfer)s",
    "DELETE FROM ledger_posting WHERE transfer_id = %(transfer)s",
    "TRUNCATE ledger_posting",
]


@pytest.mark.parametrize("sql", HISTORY_CHANGES)
def test_history_cannot_be_changed(sql):
    transfer = TransferFactory()
    with connection.cursor() as cursor:
        # Run the deferred checks now: PostgreSQL refuses TRUNCATE while they are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(InternalError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"transfer": transfer.pk})
    assert Transfer.objects.filter(pk=transfer.pk, description="").exists()
    assert transfer.postings.count() == 2


@pytest.mark.parametrize("sql", [*HISTORY_CHANGES, "DELETE FROM ledger_wallet WHERE id = %(wallet)s"])
def test_pgtrigger_ignore_switches_no_guard_off(sql):
    """pgtrigger's Protect triggers skip themselves when the session lists them in
    `pgtrigger.ignore`, a setting any client may write; the ledger's guards read no setting."""
    transfer = TransferFactory()
    wallet = transfer.postings.exclude(wallet__owner=None).get().wallet
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(InternalError, match="append-only|never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _ignore_every_ledger_trigger(cursor)
        cursor.execute(sql, {"transfer": transfer.pk, "wallet": wallet.pk})
    with connection.cursor() as cursor:
        cursor.execute("RESET pgtrigger.ignore")
    assert Transfer.objects.filter(pk=transfer.pk, description="").exists()
    assert transfer.postings.count() == 2 and Wallet.objects.filter(pk=wallet.pk).exists()


def test_orm_update_is_refused_too():
    transfer = TransferFactory()
    with pytest.raises(InternalError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(description="edited")
    with pytest.raises(InternalError), transaction.atomic():
        Posting.objects.filter(transfer=transfer).delete()


def test_wallets_cannot_be_deleted(coin):
    wallet = _customer_wallet()
    with pytest.raises(InternalError, match="never deleted"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_wallet WHERE id = %s", [wallet.pk])


# --- A transfer balances per asset at COMMIT ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_unbalanced_transfer_fails_at_commit(coin):
    connection.ensure_connection()
    with (
        pytest.raises(IntegrityError, match="does not sum to zero"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _post(cursor, _raw_transfer(cursor), _hot(), "5")
        # Every statement succeeds; only the deferred trigger at COMMIT refuses.
    assert not Transfer.objects.filter(initiator="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_zero_sum_check_trusts_no_session_setting(coin):
    """Migration 0004 skipped the check for the transfer named in `ledger.zero_sum_checked`, a
    transaction setting that the client itself can preset."""
    with (
        pytest.raises(IntegrityError, match="does not sum to zero"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        raw_id = _raw_transfer(cursor)
        cursor.execute("SELECT set_config('ledger.zero_sum_checked', %s, true)", [str(raw_id)])
        _post(cursor, raw_id, _hot(), "5")
    assert not Transfer.objects.filter(initiator="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_posting_added_after_an_early_check_is_checked_at_commit(coin):
    """`SET CONSTRAINTS ALL IMMEDIATE` runs the check on a balanced pair; a posting added to the
    transfer afterwards (even one given a lower id by hand) is checked again at COMMIT."""
    revenue, issuance = _hot(), _hot(SystemWallet.ISSUANCE)
    with (
        pytest.raises(IntegrityError, match="does not sum to zero"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        raw_id = _raw_transfer(cursor)
        _post(cursor, raw_id, revenue, "1")
        _post(cursor, raw_id, issuance, "-1")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SELECT min(id) - 1 FROM ledger_posting WHERE transfer_id = %s", [raw_id])
        lower_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_posting (id, transfer_id, wallet_id, amount, created_at) VALUES (%s, %s, %s, 5, now())",
            [lower_id, raw_id, revenue.pk],
        )
    assert not Transfer.objects.filter(initiator="raw").exists()


@pytest.mark.django_db(transaction=True)
def test_posting_on_a_missing_wallet_is_refused(coin):
    """Postings carry no database foreign key to their wallet (no row lock on hot wallets):
    the posting trigger refuses one whose wallet does not exist instead."""
    with (
        pytest.raises(IntegrityError, match="names no wallet"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        raw_id = _raw_transfer(cursor)
        _post(cursor, raw_id, _hot(), "-1")
        cursor.execute(RAW_POSTING, [raw_id, 987654321, Decimal(1), None])
    assert not Transfer.objects.filter(initiator="raw").exists()


# --- Postings join only a transfer of their own transaction ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_posting_into_a_committed_transfer_is_refused(coin):
    transfer = TransferFactory()  # committed
    with (
        pytest.raises(IntegrityError, match="not created by this transaction"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _post(cursor, transfer.pk, _hot(), "1")
        _post(cursor, transfer.pk, _hot(SystemWallet.ISSUANCE), "-1")
    assert transfer.postings.count() == 2


# --- Wallets: fixed columns, balances that follow their postings -----------------------------


def _other_asset_wallet_values(wallet: Wallet) -> dict:
    """A new value for each fixed wallet column, valid under every other constraint."""
    return {
        "id": wallet.pk + 1_000_000,
        "asset": Asset.objects.get(code="EUR").pk,
        "owner": UserFactory().pk,
        "tracks_balance": False,
        "allow_negative": True,
        "average_minute_cost": Decimal("0.25"),
        "created_at": timezone.now() - timedelta(days=30),
    }


FIXED_WALLET_COLUMNS = ["id", "asset", "owner", "tracks_balance", "allow_negative", "average_minute_cost", "created_at"]


def test_every_wallet_column_but_balance_is_covered():
    """A column added to Wallet is fixed after creation too, and needs its case here."""
    columns = {f.name for f in Wallet._meta.concrete_fields} - {"balance", "last_updated"}
    assert columns == {*FIXED_WALLET_COLUMNS, "system_code"}


@pytest.mark.parametrize("field", FIXED_WALLET_COLUMNS)
def test_fixed_wallet_column_cannot_change(coin, field):
    wallet = _customer_wallet()
    value = _other_asset_wallet_values(wallet)[field]
    column = Wallet._meta.get_field(field).column
    with (
        pytest.raises(IntegrityError, match="only balance and last_updated"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE ledger_wallet SET {column} = %s WHERE id = %s", [value, wallet.pk])
    assert Wallet.objects.filter(pk=wallet.pk, asset=coin, allow_negative=False, tracks_balance=True).exists()


def test_system_code_cannot_change(coin):
    revenue = _hot()
    with pytest.raises(IntegrityError, match="only balance and last_updated"), transaction.atomic():
        Wallet.objects.filter(pk=revenue.pk).update(system_code="revenue-2")


def test_last_updated_may_change(coin):
    wallet = _customer_wallet()
    moved = timezone.now() + timedelta(minutes=1)
    Wallet.objects.filter(pk=wallet.pk).update(last_updated=moved)
    wallet.refresh_from_db()
    assert wallet.last_updated == moved


def test_wallet_is_created_empty(coin):
    with pytest.raises(IntegrityError, match="zero balance"), transaction.atomic():
        Wallet.objects.create(owner=UserFactory(), asset=coin, balance=Decimal("100.00"))


def test_stored_balance_cannot_change_without_a_posting(coin):
    wallet = _customer_wallet()
    with (
        pytest.raises(IntegrityError, match="last posting"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE ledger_wallet SET balance = balance + 7 WHERE id = %s", [wallet.pk])
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("10.00")


def test_hot_wallet_keeps_no_stored_balance(coin):
    revenue = _hot()
    with pytest.raises(IntegrityError, match="keeps no stored balance"), transaction.atomic():
        Wallet.objects.filter(pk=revenue.pk).update(balance=Decimal("5.00"))


@pytest.mark.parametrize(
    ("amount", "balance_after"),
    [
        ("1", "1010.00"),  # +1 that claims to leave 1010.00: the wallet held 10.00
        ("5", "5.00"),  # +5 from an invented starting balance of zero
    ],
)
def test_invented_balance_after_is_refused(coin, amount, balance_after):
    """The balance-follows-postings check alone would accept a posting whose balance_after was
    made up together with the stored balance; the posting must continue the wallet's last one."""
    wallet = _customer_wallet()
    with (
        pytest.raises(IntegrityError, match="continue"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        raw_id = _raw_transfer(cursor)
        _post(cursor, raw_id, wallet, amount, Decimal(balance_after))
        _post(cursor, raw_id, _hot(SystemWallet.ISSUANCE), f"-{amount}")
        cursor.execute("UPDATE ledger_wallet SET balance = %s WHERE id = %s", [Decimal(balance_after), wallet.pk])
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("10.00")


def test_tracked_posting_without_balance_after_is_refused(coin):
    wallet = _customer_wallet()
    with pytest.raises(IntegrityError, match="continue"), transaction.atomic(), connection.cursor() as cursor:
        _post(cursor, _raw_transfer(cursor), wallet, "-1")


def test_hot_posting_with_balance_after_is_refused(coin):
    with pytest.raises(IntegrityError, match="no balance_after"), transaction.atomic(), connection.cursor() as cursor:
        _post(cursor, _raw_transfer(cursor), _hot(), "1", Decimal("1"))


@pytest.mark.django_db(transaction=True)
def test_posting_without_its_balance_update_fails_at_commit(coin):
    wallet = _customer_wallet()
    with (
        pytest.raises(IntegrityError, match="stores balance"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        raw_id = _raw_transfer(cursor)
        _post(cursor, raw_id, wallet, "5", Decimal("15.00"))
        _post(cursor, raw_id, _hot(SystemWallet.ISSUANCE), "-5")
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("10.00") and wallet.postings.count() == 1


@pytest.mark.django_db(transaction=True)
def test_hand_written_transfer_that_keeps_every_rule_commits(coin):
    """The guards refuse broken rows, not raw SQL: a balanced transfer whose postings continue
    their wallets' balances, with the stored balance moved to match, commits."""
    wallet = _customer_wallet()
    with transaction.atomic(), connection.cursor() as cursor:
        raw_id = _raw_transfer(cursor)
        _post(cursor, raw_id, wallet, "-1", Decimal("9.00"))
        _post(cursor, raw_id, _hot(), "1")
        cursor.execute("UPDATE ledger_wallet SET balance = 9 WHERE id = %s", [wallet.pk])
    raw = Transfer.objects.get(initiator="raw")
    assert sorted(p.amount for p in raw.postings.all()) == [Decimal("-1"), Decimal("1")]
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("9.00")
