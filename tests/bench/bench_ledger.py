"""Ledger throughput against the local PostgreSQL, compared with pgbench on the same machine.

    .venv/bin/python tests/bench/bench_ledger.py            # ~2 minutes; see tests/bench/README.md

In one run, in its own database (nb_bench, dropped at the end):
1. pgbench's simple-update script (-N), W clients: the baseline in transactions/s;
2. customer-to-customer transfers through `ledger.services.post_transfer`, W worker processes
   over N customer wallets: postings/s (2 postings per transfer);
3. purchase-shaped transfers (customer -> one `revenue` wallet, which keeps no stored balance):
   postings/s, to show that one shared hot wallet does not serialize purchases;
4. (control) the same purchases credited to one balance-tracking wallet: what the hot-wallet
   design avoids.
Then it reconciles the ledger (every invariant must still hold) and prints the ratios:
ledger / pgbench (target >= 0.35) and shared revenue / uncontended (target >= 0.8).
Not collected by pytest (no test_ prefix).
"""

import argparse
import gc
import multiprocessing
import os
import random
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
TARGET_VS_PGBENCH = 0.35
TARGET_SHARED_VS_UNCONTENDED = 0.8
FUNDING = Decimal("1000000.00")


def _environ(db: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "nodebyte_platform.settings"
    os.environ["DEBUG"] = "false"  # DEBUG would keep every query in memory
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    os.environ["REDIS_URL"] = ""
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))


def _admin_sql(*statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", **PG)
    conn.autocommit = True
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    conn.close()


def _setup_schema_and_wallets(wallet_count: int) -> dict:
    """Migrate the bench database and fund `wallet_count` customer wallets (balanced transfers)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import F

    from accounts.models import User
    from ledger.models import Asset, Posting, SystemWallet, Transfer, TransferKind, Wallet
    from ledger.services import system_wallet

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started

    coin = Asset.objects.get(code="COIN")
    issuance = system_wallet(code=SystemWallet.ISSUANCE, asset=coin)
    revenue = system_wallet(code=SystemWallet.REVENUE, asset=coin)
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(username=f"bench{i}", email=f"bench{i}@example.com", password="!") for i in range(wallet_count)
        )
        wallets = Wallet.objects.bulk_create(Wallet(owner=u, asset=coin) for u in users)
        merchant_owner = User.objects.create(username="bench-merchant", email="merchant@example.com", password="!")
        merchant = Wallet.objects.create(owner=merchant_owner, asset=coin)
        # One deposit per customer, as `issue` would write it, without 10,000 calls. The ledger then
        # starts with a history (10,000 transfers, 20,000 postings): PostgreSQL caches a plan per
        # connection for the posting -> transfer foreign-key check, and one planned on a
        # near-empty transfer table scans it whole for the rest of the run.
        transfers = Transfer.objects.bulk_create(
            Transfer(kind=TransferKind.DEPOSIT, initiator="system:bench", description="bench funding") for _ in wallets
        )
        Posting.objects.bulk_create(
            posting
            for transfer, wallet in zip(transfers, wallets, strict=True)
            for posting in (
                Posting(transfer=transfer, wallet=issuance, amount=-FUNDING),
                Posting(transfer=transfer, wallet=wallet, amount=FUNDING, balance_after=FUNDING),
            )
        )
        Wallet.objects.filter(pk__in=[w.pk for w in wallets]).update(balance=F("balance") + FUNDING)
    from django.db import connection

    with connection.cursor() as cursor:
        # Fresh statistics, as autovacuum would leave them on a live database.
        cursor.execute("VACUUM ANALYZE")
    return {
        "migrate_seconds": migrate_seconds,
        "wallet_ids": [w.pk for w in wallets],
        "revenue_id": revenue.pk,
        "merchant_id": merchant.pk,
    }


def _pgbench(db: str, clients: int, seconds: int) -> float:
    base = ["-h", PG["host"], "-p", PG["port"], "-U", PG["user"]]
    subprocess.run(["pgbench", *base, "-i", "-q", "-s", "1", db], check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", *base, "-N", "-n", "-c", str(clients), "-j", str(clients), "-T", str(seconds), db],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    if not match:
        raise RuntimeError(f"cannot read pgbench output:\n{out}")
    subprocess.run(["pgbench", *base, "-i", "-I", "d", db], check=True, capture_output=True)  # drop its tables
    return float(match.group(1))


def _worker(db: str, index: int, setup: dict, phases: list[str], seconds: int, barrier, results) -> None:
    """One client process: set Django up once, then run each phase for `seconds` after the barrier."""
    _environ(db)
    import django

    django.setup()
    from django.db import connection

    from ledger.models import TransferKind, Wallet
    from ledger.services import Leg, post_transfer

    rng = random.Random(index)
    run = os.urandom(4).hex()  # keys stay unique when a kept database (--keep) is benchmarked again
    customers = list(Wallet.objects.select_related("asset").filter(pk__in=setup["wallet_ids"]))
    revenue = Wallet.objects.select_related("asset").get(pk=setup["revenue_id"])
    merchant = Wallet.objects.select_related("asset").get(pk=setup["merchant_id"])
    targets = {"shared-revenue": revenue, "shared-tracked": merchant}
    # The 10,000 wallets are the bench's own working set, not the ledger's: keep the cyclic
    # garbage collector from walking them again and again (what a preloading server does too).
    gc.freeze()
    for number, phase in enumerate(phases):
        barrier.wait()
        deadline = time.perf_counter() + seconds
        transfers = postings = 0
        while time.perf_counter() < deadline:
            amount = Decimal(rng.randint(1, 1000)) / 100
            payer = rng.choice(customers)
            if phase == "uncontended":
                payee = rng.choice(customers)
                while payee.pk == payer.pk:
                    payee = rng.choice(customers)
                kind = TransferKind.GIFT
            else:
                payee, kind = targets[phase], TransferKind.PURCHASE
            post_transfer(
                kind=kind,
                legs=[Leg(payer, -amount), Leg(payee, amount)],
                initiator=f"system:bench-{index}",
                idempotency_key=f"{run}-{number}-{transfers}",  # money moves carry a key, as in the API
            )
            transfers += 1
            postings += 2
        results.put((phase, transfers, postings))
        barrier.wait()
    connection.close()


def _run_phases(db: str, setup: dict, workers: int, seconds: int, phases: list[str]) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(db, i, setup, phases, seconds, barrier, results)) for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    rates = {}
    for phase in phases:
        barrier.wait(timeout=180)  # every worker is set up and starts now
        started = time.perf_counter()
        barrier.wait(timeout=seconds + 60)  # every worker has finished the phase
        elapsed = time.perf_counter() - started
        counts = [results.get(timeout=10) for _ in range(workers)]
        rates[phase] = sum(p for _, _, p in counts) / elapsed
        print(f"  {phase:<15} {rates[phase]:8.0f} postings/s  ({rates[phase] / 2:6.0f} transfers/s)", flush=True)
    for proc in procs:
        proc.join(timeout=30)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--wallets", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measured phase")
    parser.add_argument("--db", default="nb_bench")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--no-control", action="store_true", help="skip the shared balance-tracking control phase")
    args = parser.parse_args()

    _environ(args.db)
    _admin_sql(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)', f'CREATE DATABASE "{args.db}"')
    try:
        print(f"setting up {args.db}: migrations and {args.wallets} funded customer wallets...", flush=True)
        setup = _setup_schema_and_wallets(args.wallets)
        from django.db import connection

        connection.close()
        print(f"  (migrate took {setup['migrate_seconds']:.0f}s)")

        print(f"pgbench simple-update (-N), {args.workers} clients, {args.seconds}s:", flush=True)
        pgbench_tps = _pgbench(args.db, args.workers, args.seconds)
        print(f"  pgbench         {pgbench_tps:8.0f} transactions/s")

        phases = ["uncontended", "shared-revenue"] + ([] if args.no_control else ["shared-tracked"])
        print(f"ledger post_transfer, {args.workers} worker processes, {args.seconds}s per phase:", flush=True)
        rates = _run_phases(args.db, setup, args.workers, args.seconds, phases)

        from ledger.services import reconcile_ledger

        run = reconcile_ledger(trigger="bench")
        print(f"reconciliation after the run: {run.status}, {run.findings_count} findings")

        vs_pgbench = rates["uncontended"] / pgbench_tps
        shared_vs_uncontended = rates["shared-revenue"] / rates["uncontended"]
        ok = (
            vs_pgbench >= TARGET_VS_PGBENCH
            and shared_vs_uncontended >= TARGET_SHARED_VS_UNCONTENDED
            and run.findings_count == 0
        )
        print()
        print(f"ledger / pgbench              = {vs_pgbench:.2f}   (target >= {TARGET_VS_PGBENCH})")
        print(
            f"shared-revenue / uncontended  = {shared_vs_uncontended:.2f}   (target >= {TARGET_SHARED_VS_UNCONTENDED})"
        )
        if "shared-tracked" in rates:
            print(f"shared-tracked / uncontended  = {rates['shared-tracked'] / rates['uncontended']:.2f}   (control)")
        print("PASS" if ok else "BELOW TARGET")
        connection.close()
        return 0 if ok else 1
    finally:
        if not args.keep:
            _admin_sql(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
