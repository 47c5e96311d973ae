"""A deadlock inside an API purchase is retried at the outermost transaction and answered 201."""

import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client

from ledger.models import Transfer, Wallet
from ledger.services import user_wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def deadlocks_so_far() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_a_deadlock_inside_a_purchase_is_retried_and_answered_201(world):
    a, alice = world.a, world.alice
    token = a.player(alice)
    coin = Wallet.objects.get(owner=alice.user, asset__code="COIN")
    credits = user_wallet(user=alice.user, asset=a.credit_type.asset)
    assert coin.pk < credits.pk  # the purchase locks the coin wallet first, then the credits
    before = deadlocks_so_far()
    holder_locked, holder_done, errors = threading.Event(), threading.Event(), []

    def hold_credits_then_want_coins():
        """Another transaction: lock the credit wallet, and once the purchase waits on it, want the
        coin wallet the purchase holds: a real deadlock, which PostgreSQL breaks by aborting one."""
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute("SELECT id FROM ledger_wallet WHERE id = %s FOR UPDATE", [credits.pk])
                holder_locked.set()
                for _ in range(200):  # until the purchase is waiting for a lock
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.02)
                cursor.execute("SELECT id FROM ledger_wallet WHERE id = %s FOR UPDATE", [coin.pk])
                cursor.execute("COMMIT")
        except Exception as exc:  # the holder may be the one PostgreSQL aborts: that must not matter
            errors.append(exc)
        finally:
            holder_done.set()
            connections.close_all()

    holder = threading.Thread(target=hold_credits_then_want_coins)
    holder.start()
    assert holder_locked.wait(timeout=30)
    with connection.cursor() as cursor:
        # The purchase's connection gives up first, so it is the one aborted (superuser-only setting).
        cursor.execute("SET deadlock_timeout = '200ms'")
    response = Client().post(
        f"/api/v1/games/{a.game.guid}/purchases/",
        {"package_id": a.package.pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    holder.join(timeout=30)
    assert response.status_code == 201, response.content
    assert errors == []  # the purchase was the victim, and it ran again
    for _ in range(50):  # statistics reach pg_stat_database within a second
        if deadlocks_so_far() > before:
            break
        time.sleep(0.05)
    assert deadlocks_so_far() > before, "no deadlock happened: the test proved nothing"
    assert Transfer.objects.filter(kind="purchase").count() == 1
    assert Wallet.objects.get(pk=coin.pk).balance == Decimal("90.00")
