"""Real concurrency on PostgreSQL: threads and processes with their own connections, no mocked locks.

Timeouts count the test function only (`func_only`): the first test of a worker also pays for
creating the test database in its fixtures, which on a loaded machine alone can take a minute.
"""

import multiprocessing
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from accounts.models import User
from ledger.models import Posting, SystemWallet, Transfer, TransferKind, Wallet, amount_sum
from ledger.services import Leg, issue, post_transfer, reconcile_ledger, system_wallet, user_wallet
from tests.factories.accounts import UserFactory
from tests.ledger import concurrency_workers as workers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_thread(fn, *args):
    try:
        return fn(*args)
    finally:
        connection.close()


def _assert_invariants():
    run = reconcile_ledger(trigger="test")
    assert run.findings_count == 0, list(run.findings.values("kind", "wallet_id", "expected", "actual"))
    for wallet in Wallet.objects.filter(tracks_balance=True):
        posted = wallet.postings.aggregate(total=amount_sum())["total"] or Decimal(0)
        assert wallet.balance == posted
        assert wallet.allow_negative or wallet.balance >= 0


@pytest.mark.timeout(120, func_only=True)
def test_sixteen_threads_and_four_processes_cannot_overdraw(coin):
    start = Decimal("600.00")
    owner = UserFactory()
    issue(user=owner, asset=coin, amount=start, initiator="system:test")
    wallet = user_wallet(user=owner, asset=coin)
    db_name = settings.DATABASES["default"]["NAME"]
    connection.close()  # nothing shared with the children

    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(4) as pool:
        start_line = manager.Barrier(20)
        processes = pool.starmap_async(
            workers.spend_in_process, [(db_name, wallet.pk, 1000 + i, start_line) for i in range(4)]
        )
        with ThreadPoolExecutor(16) as threads:
            futures = [
                threads.submit(_in_thread, workers.spend_until_empty, wallet.pk, i, start_line) for i in range(16)
            ]
            thread_spent = [f.result() for f in futures]
        process_spent = processes.get(timeout=110)

    debits = [Decimal(a) for batch in thread_spent + process_spent for a in batch]
    assert any(process_spent), "the processes took part"
    assert sum(debits) <= start
    wallet.refresh_from_db()
    assert wallet.balance == start - sum(debits)
    assert wallet.balance == 0, "spent until exhausted"
    postings = Posting.objects.filter(wallet=wallet)
    assert postings.aggregate(total=amount_sum())["total"] == wallet.balance
    assert postings.count() == len(debits) + 1
    # balance_after is the running balance in id order: no two debits saw the same balance.
    running = Decimal(0)
    for posting in postings.order_by("id"):
        running += posting.amount
        assert posting.balance_after == running
    _assert_invariants()


@pytest.mark.timeout(60, func_only=True)
def test_twenty_concurrent_requests_with_one_key_make_one_transfer(coin):
    sender, receiver = UserFactory(), UserFactory()
    issue(user=sender, asset=coin, amount="100.00", initiator="system:test")
    source, target = user_wallet(user=sender, asset=coin), user_wallet(user=receiver, asset=coin)
    barrier = threading.Barrier(20)

    def request():
        barrier.wait()
        return post_transfer(
            kind=TransferKind.GIFT,
            legs=[Leg(source, Decimal("-7.00")), Leg(target, Decimal("7.00"))],
            initiator=f"user:{sender.pk}",
            idempotency_key="same-key",
        ).pk

    with ThreadPoolExecutor(20) as pool:
        ids = [f.result() for f in [pool.submit(_in_thread, request) for _ in range(20)]]
    assert len(set(ids)) == 1
    assert Transfer.objects.filter(idempotency_key="same-key").count() == 1
    source.refresh_from_db()
    assert source.balance == Decimal("93.00")
    _assert_invariants()


@pytest.mark.timeout(60, func_only=True)
def test_same_key_on_hot_wallets_only_still_makes_one_transfer(coin):
    """No balance-tracking wallet means no lock to queue on: the unique key decides alone."""
    issuance = system_wallet(code=SystemWallet.ISSUANCE, asset=coin)
    revenue = system_wallet(code=SystemWallet.REVENUE, asset=coin)
    barrier = threading.Barrier(10)

    def request():
        barrier.wait()
        return post_transfer(
            kind=TransferKind.ADJUSTMENT,
            legs=[Leg(issuance, Decimal("-1.00")), Leg(revenue, Decimal("1.00"))],
            initiator="system:test",
            idempotency_key="hot-key",
        ).pk

    with ThreadPoolExecutor(10) as pool:
        ids = [f.result() for f in [pool.submit(_in_thread, request) for _ in range(10)]]
    assert len(set(ids)) == 1
    assert Transfer.objects.filter(idempotency_key="hot-key").count() == 1


@pytest.mark.timeout(120, func_only=True)
def test_random_transfers_among_fifty_wallets_never_deadlock(coin):
    wallet_ids = []
    # Password hashing is the slow part of a factory user; these owners never log in.
    for user in User.objects.bulk_create(User(username=f"w{i}", email=f"w{i}@example.com") for i in range(50)):
        issue(user=user, asset=coin, amount="100.00", initiator="system:test")
        wallet_ids.append(user_wallet(user=user, asset=coin).pk)
    total_before = Wallet.objects.filter(pk__in=wallet_ids).aggregate(total=Sum("balance"))["total"]
    rng = random.Random(7)
    with ThreadPoolExecutor(8) as pool:
        futures = [
            pool.submit(_in_thread, workers.random_transfers, rng.sample(wallet_ids, 50), 100 + i, 40) for i in range(8)
        ]
        results = [f.result() for f in futures]  # a deadlock reaching a caller would raise here
    assert sum(posted for posted, _ in results) > 0
    total_after = Wallet.objects.filter(pk__in=wallet_ids).aggregate(total=Sum("balance"))["total"]
    assert total_after == total_before
    _assert_invariants()
