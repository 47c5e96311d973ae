"""A Hypothesis state machine drives the ledger services against a plain dict of balances.

After every step: each wallet's stored balance equals the model, the sum of its postings and
its last balance_after; no customer wallet is negative; every transfer sums to zero.
"""

from decimal import Decimal

import pytest
from constance.test import override_config
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accounts.models import User
from ledger import services
from ledger.errors import AlreadyReversed, InsufficientFunds
from ledger.models import Asset, Posting, SystemWallet, Transfer, TransferKind, Wallet, amount_sum
from ledger.services import Leg

amounts = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)
players = st.integers(min_value=0, max_value=3)


class LedgerMachine(RuleBasedStateMachine):
    transfers = Bundle("transfers")

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint that teardown rolls back: examples never see each other.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.coin = Asset.objects.get(code="COIN")
        self.staff = User.objects.create(username="stateful-staff", email="staff@example.com", is_staff=True)
        self.users = [User.objects.create(username=f"sm{i}", email=f"sm{i}@example.com") for i in range(4)]
        self.wallets = [services.user_wallet(user=u, asset=self.coin) for u in self.users]
        self.model = [Decimal(0)] * 4
        self.effects: dict[int, dict[int, Decimal]] = {}
        self.reversed: set[int] = set()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _posted(self, transfer: Transfer) -> Transfer:
        effect = {i: Decimal(0) for i in range(4)}
        index = {w.pk: i for i, w in enumerate(self.wallets)}
        for posting in transfer.postings.all():
            if posting.wallet_id in index:
                effect[index[posting.wallet_id]] += posting.amount
        for i, delta in effect.items():
            self.model[i] += delta
        self.effects[transfer.pk] = effect
        return transfer

    @rule(target=transfers, who=players, amount=amounts)
    def deposit(self, who, amount):
        return self._posted(services.issue(user=self.users[who], asset=self.coin, amount=amount, initiator="system:sm"))

    @rule(target=transfers, who=players, amount=amounts)
    def spend(self, who, amount):
        revenue = services.system_wallet(code=SystemWallet.REVENUE, asset=self.coin)
        legs = [Leg(self.wallets[who], -amount), Leg(revenue, amount)]
        if amount > self.model[who]:
            with pytest.raises(InsufficientFunds):
                services.post_transfer(kind=TransferKind.PURCHASE, legs=legs, initiator="system:sm")
            return None
        return self._posted(services.post_transfer(kind=TransferKind.PURCHASE, legs=legs, initiator="system:sm"))

    @rule(target=transfers, sender=players, receiver=players, amount=amounts)
    def gift(self, sender, receiver, amount):
        if sender == receiver:
            return None
        key = f"gift-{len(self.effects)}-{sender}-{receiver}"
        kwargs = {"sender": self.users[sender], "receiver": self.users[receiver], "asset": self.coin}
        if amount > self.model[sender]:
            with pytest.raises(InsufficientFunds):
                services.gift(amount=amount, idempotency_key=key, **kwargs)
            return None
        transfer = self._posted(services.gift(amount=amount, idempotency_key=key, **kwargs))
        # A retry with the same key changes nothing.
        assert services.gift(amount=amount, idempotency_key=key, **kwargs).pk == transfer.pk
        return transfer

    @rule(target=transfers, who=players, amount=amounts, credit=st.booleans())
    def adjust(self, who, amount, credit):
        signed = amount if credit else -amount
        kwargs = {"user": self.users[who], "asset": self.coin, "reason": "stateful", "created_by": self.staff}
        if self.model[who] + signed < 0:
            with pytest.raises(InsufficientFunds):
                services.adjust_balance(amount=signed, **kwargs)
            return None
        return self._posted(services.adjust_balance(amount=signed, **kwargs).transfer)

    @rule(transfer=transfers)
    def reverse(self, transfer):
        if transfer is None:
            return
        effect = self.effects[transfer.pk]
        if transfer.pk in self.reversed:
            with pytest.raises(AlreadyReversed):
                services.reverse_transfer(transfer=transfer, reason="again", created_by=self.staff)
            return
        if any(self.model[i] - delta < 0 for i, delta in effect.items()):
            with pytest.raises(InsufficientFunds):
                services.reverse_transfer(transfer=transfer, reason="undo", created_by=self.staff)
            return
        reversal = services.reverse_transfer(transfer=transfer, reason="undo", created_by=self.staff)
        self._posted(reversal)
        self.reversed.add(transfer.pk)
        assert {i: -d for i, d in self.effects[reversal.pk].items()} == effect

    @invariant()
    def balances_match_model_and_postings(self):
        for i, wallet in enumerate(Wallet.objects.filter(pk__in=[w.pk for w in self.wallets]).order_by("pk")):
            assert wallet.balance == self.model[i] >= 0
            postings = Posting.objects.filter(wallet=wallet)
            assert (postings.aggregate(total=amount_sum())["total"] or 0) == wallet.balance
            last = postings.order_by("-id").first()
            assert last is None or last.balance_after == wallet.balance

    @invariant()
    def every_transfer_sums_to_zero(self):
        unbalanced = (
            Posting.objects.filter(transfer__initiator__in=["system:sm", f"user:{self.staff.pk}"])
            .values("transfer_id", "wallet__asset_id")
            .annotate(total=amount_sum())
            .exclude(total=0)
        )
        assert not unbalanced.exists()


@pytest.mark.django_db
@override_config(ADJUSTMENT_APPROVAL_THRESHOLD="1000000.00")
def test_ledger_state_machine(coin):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
