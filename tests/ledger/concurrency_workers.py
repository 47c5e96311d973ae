"""Worker bodies for the concurrency tests: importable by spawned processes (no pytest needed there)."""

import os
import random
from decimal import Decimal


def setup_django(db_name: str) -> None:
    """In a spawned process: point Django at the test database and start it."""
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nodebyte_platform.settings")
    import django

    django.setup()


def spend_until_empty(wallet_id: int, seed: int, start=None, max_attempts: int = 400) -> list[str]:
    """Debit random amounts from one wallet into revenue until it is empty; return the successful debits."""
    from django.db import connection

    from ledger.errors import InsufficientFunds
    from ledger.models import SystemWallet, TransferKind, Wallet
    from ledger.services import Leg, post_transfer, system_wallet

    rng = random.Random(seed)
    wallet = Wallet.objects.select_related("asset").get(pk=wallet_id)
    revenue = system_wallet(code=SystemWallet.REVENUE, asset=wallet.asset)
    spent: list[str] = []
    upper = Decimal("25.00")
    if start is not None:
        start.wait(timeout=90)  # all threads and processes set up: spend at the same moment
    try:
        for _ in range(max_attempts):
            amount = Decimal(rng.randint(1, int(upper * 100))) / 100
            try:
                post_transfer(
                    kind=TransferKind.PURCHASE,
                    legs=[Leg(wallet, -amount), Leg(revenue, amount)],
                    initiator="system:test",
                )
                spent.append(str(amount))
            except InsufficientFunds as exc:
                available = Decimal(exc.details["available"])
                if available == 0:
                    break
                upper = max(available, Decimal("0.01"))
        return spent
    finally:
        connection.close()


def spend_in_process(db_name: str, wallet_id: int, seed: int, start=None) -> list[str]:
    setup_django(db_name)
    return spend_until_empty(wallet_id, seed, start)


def random_transfers(wallet_ids: list[int], seed: int, count: int) -> tuple[int, int]:
    """Move random amounts between random pairs (legs in random order); return (posted, refused)."""
    from django.db import connection

    from ledger.errors import InsufficientFunds
    from ledger.models import TransferKind, Wallet
    from ledger.services import Leg, post_transfer

    rng = random.Random(seed)
    wallets = {w.pk: w for w in Wallet.objects.select_related("asset").filter(pk__in=wallet_ids)}
    posted = refused = 0
    try:
        for _ in range(count):
            picked = rng.sample(wallet_ids, rng.choice([2, 2, 3]))
            amount = Decimal(rng.randint(1, 3000)) / 100
            legs = [Leg(wallets[picked[0]], -amount * (len(picked) - 1))] + [
                Leg(wallets[i], amount) for i in picked[1:]
            ]
            rng.shuffle(legs)
            try:
                post_transfer(kind=TransferKind.GIFT, legs=legs, initiator="system:test")
                posted += 1
            except InsufficientFunds:
                refused += 1
        return posted, refused
    finally:
        connection.close()
