"""Factories of the ledger: assets, wallets and balanced transfers.

Transfers and postings are append-only and must balance per asset, so they are
never built field by field: `TransferFactory` posts through `ledger.services`
(`issue` by default), and `PostingFactory` returns one posting of such a transfer.
"""

from decimal import Decimal

import factory

from ledger import services
from ledger.models import (
    AdjustmentRequest,
    Asset,
    AssetKind,
    FindingKind,
    FrozenOwner,
    Posting,
    ReconciliationFinding,
    ReconciliationRun,
    SystemWallet,
    Transfer,
    TransferKind,
    Wallet,
)

USER = "tests.factories.accounts.UserFactory"


class AssetFactory(factory.django.DjangoModelFactory):
    """A fresh asset (precision 2) with its system wallets, as `ensure_system_wallets` leaves it."""

    class Meta:
        model = Asset
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T{n:04d}")
    kind = AssetKind.PLATFORM
    precision = 2
    label = factory.LazyAttribute(lambda o: f"Test asset {o.code}")

    @factory.post_generation
    def system_wallets(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            services.ensure_system_wallets(asset=obj)


def coin() -> Asset:
    """The platform's COIN asset (created by ledger migration 0002)."""
    return Asset.objects.get(code="COIN")


class WalletFactory(factory.django.DjangoModelFactory):
    """A user's wallet in COIN (pass `asset=`), funded from issuance when `balance=` is given.

    The balance is never written directly: a positive `balance` posts an `issue`
    transfer, so stored balance, postings and `balance_after` agree.
    """

    class Meta:
        model = Wallet
        skip_postgeneration_save = True

    owner = factory.SubFactory(USER)
    asset = factory.LazyFunction(coin)

    @classmethod
    def _create(cls, model_class, *args, owner=None, asset=None, balance=None, **kwargs):
        if kwargs:
            # Flags (allow_negative...) are set when the wallet is created: on PostgreSQL no
            # column but the balance changes afterwards.
            wallet = Wallet.objects.create(owner=owner, asset=asset, **kwargs)
        else:
            wallet = services.user_wallet(user=owner, asset=asset)
        if balance:
            services.issue(user=owner, asset=asset, amount=Decimal(str(balance)), initiator="system:factory")
            wallet.refresh_from_db()
        return wallet


class TransferFactory(factory.django.DjangoModelFactory):
    """A balanced deposit: `amount` of `asset` issued to `user` (a new user unless given)."""

    class Meta:
        model = Transfer

    user = factory.SubFactory(USER)
    asset = factory.LazyFunction(coin)
    amount = Decimal("10.00")
    kind = TransferKind.DEPOSIT
    source = SystemWallet.ISSUANCE
    initiator = "system:factory"
    idempotency_key = None
    description = ""

    @classmethod
    def _create(cls, model_class, *args, user=None, asset=None, amount=None, **kwargs):
        return services.issue(user=user, asset=asset, amount=amount, **kwargs)


class PostingFactory(factory.django.DjangoModelFactory):
    """The customer-side posting of a balanced deposit (see TransferFactory)."""

    class Meta:
        model = Posting

    transfer = factory.SubFactory(TransferFactory)

    @classmethod
    def _create(cls, model_class, *args, transfer=None, **kwargs):
        return transfer.postings.filter(wallet__owner__isnull=False).select_related("wallet__asset").get()


class FrozenOwnerFactory(factory.django.DjangoModelFactory):
    """A user whose wallets are frozen, through `set_wallets_frozen`."""

    class Meta:
        model = FrozenOwner

    user = factory.SubFactory(USER)
    reason = "Fraud hold"

    @classmethod
    def _create(cls, model_class, *args, user=None, reason="", **kwargs):
        services.set_wallets_frozen(user=user, frozen=True, reason=reason, by=kwargs.get("frozen_by"))
        return FrozenOwner.objects.get(user=user)


class AdjustmentRequestFactory(factory.django.DjangoModelFactory):
    """A staff adjustment through `adjust_balance`: posted at once unless above the approval threshold."""

    class Meta:
        model = AdjustmentRequest

    user = factory.SubFactory(USER)
    asset = factory.LazyFunction(coin)
    amount = Decimal("5.00")
    reason = "Goodwill credit"
    created_by = factory.SubFactory(USER, is_staff=True)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.adjust_balance(**kwargs)


class ReconciliationRunFactory(factory.django.DjangoModelFactory):
    """A finished reconciliation run over whatever the ledger holds."""

    class Meta:
        model = ReconciliationRun

    trigger = "manual"

    @classmethod
    def _create(cls, model_class, *args, trigger="manual", **kwargs):
        return services.reconcile_ledger(trigger=trigger)


class ReconciliationFindingFactory(factory.django.DjangoModelFactory):
    """A balance mismatch as a run records it (findings are plain rows the run writes)."""

    class Meta:
        model = ReconciliationFinding

    run = factory.SubFactory(ReconciliationRunFactory)
    kind = FindingKind.BALANCE_MISMATCH
    wallet = factory.SubFactory(WalletFactory)
    asset = factory.LazyAttribute(lambda o: o.wallet.asset)
    expected = Decimal("10.0000")
    actual = Decimal("12.0000")


__all__ = [
    "AdjustmentRequestFactory",
    "AssetFactory",
    "FrozenOwnerFactory",
    "PostingFactory",
    "ReconciliationFindingFactory",
    "ReconciliationRunFactory",
    "TransferFactory",
    "WalletFactory",
    "coin",
]
