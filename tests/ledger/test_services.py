from decimal import Decimal

import pytest
from constance.test import override_config

from ledger import services
from ledger.errors import (
    AlreadyReversed,
    AssetMismatch,
    BalanceOutOfRange,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    InvalidState,
    SelfApproval,
    UnbalancedTransfer,
    WalletFrozen,
)
from ledger.models import AdjustmentStatus, Asset, Posting, SystemWallet, Transfer, TransferKind, Wallet, amount_sum
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet
from tests.factories.accounts import CustomerFactory, staff_user
from tests.factories.ledger import AssetFactory, PostingFactory, TransferFactory, WalletFactory

pytestmark = pytest.mark.django_db


def test_factories_build_balanced_rows(coin):
    wallet = WalletFactory(balance="12.50")
    assert wallet.balance == Decimal("12.50")
    transfer = TransferFactory(amount=Decimal("3.00"))
    assert transfer.postings.aggregate(total=amount_sum())["total"] == 0
    posting = PostingFactory()
    assert posting.amount == Decimal("10.00") and posting.balance_after == Decimal("10.00")
    asset = AssetFactory()
    assert Wallet.objects.filter(asset=asset, system_code=SystemWallet.ISSUANCE).exists()


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "1.001", "NaN", "Infinity", "-Infinity", "abc", "1e16", "99999999999999999", 1.5, True, None, ""],
)
def test_to_amount_refuses_invalid_values(coin, value):
    with pytest.raises(InvalidAmount) as exc:
        to_amount(value, asset=coin)
    assert exc.value.code == "invalid_amount"


def test_to_amount_precision_follows_the_asset(db):
    tickets = Asset.objects.get(code="TICKETS")
    assert to_amount("3", asset=tickets) == 3
    with pytest.raises(InvalidAmount):
        to_amount("3.5", asset=tickets)
    assert to_amount("-2.50", asset=Asset.objects.get(code="EUR"), positive=False) == Decimal("-2.50")


def test_post_transfer_updates_balances_and_balance_after(funded, coin):
    alice, bob = funded("100.00"), funded("0")
    transfer = services.gift(sender=alice, receiver=bob, asset=coin, amount="30.25", idempotency_key="g1")
    a, b = user_wallet(user=alice, asset=coin), user_wallet(user=bob, asset=coin)
    assert (a.balance, b.balance) == (Decimal("69.75"), Decimal("30.25"))
    postings = {p.wallet_id: p for p in transfer.postings.all()}
    assert postings[a.pk].balance_after == Decimal("69.75") and postings[a.pk].balance_before == Decimal("100.00")
    assert postings[b.pk].balance_after == Decimal("30.25")
    assert transfer.kind == TransferKind.GIFT and transfer.metadata["receiver"] == bob.pk


def test_unbalanced_legs_write_nothing(funded, coin):
    alice = funded()
    before = Transfer.objects.count()
    with pytest.raises(UnbalancedTransfer) as exc:
        post_transfer(
            kind=TransferKind.ADJUSTMENT,
            legs=[Leg(user_wallet(user=alice, asset=coin), Decimal("-1.00"))],
            initiator="system:test",
        )
    assert exc.value.code == "unbalanced_transfer"
    assert Transfer.objects.count() == before


def test_mixed_assets_must_balance_each(funded, coin):
    alice = funded()
    eur = Asset.objects.get(code="EUR")
    legs = [
        Leg(user_wallet(user=alice, asset=coin), Decimal("-5.00")),
        Leg(system_wallet(code=SystemWallet.REVENUE, asset=coin), Decimal("5.00")),
        Leg(user_wallet(user=alice, asset=eur), Decimal("5.00")),
        Leg(system_wallet(code=SystemWallet.ISSUANCE, asset=eur), Decimal("-4.00")),
    ]
    with pytest.raises(UnbalancedTransfer):
        post_transfer(kind=TransferKind.PURCHASE, legs=legs, initiator="system:test")


def test_insufficient_funds_writes_nothing(funded, coin):
    alice, bob = funded("10.00"), funded("0")
    with pytest.raises(InsufficientFunds) as exc:
        services.gift(sender=alice, receiver=bob, asset=coin, amount="10.01", idempotency_key="g")
    assert exc.value.code == "insufficient_funds" and exc.value.http_status == 409
    # Amounts in details carry the asset's places, not the column's four.
    assert (exc.value.details["available"], exc.value.details["required"]) == ("10.00", "10.01")
    assert user_wallet(user=alice, asset=coin).balance == Decimal("10.00")
    assert not Transfer.objects.filter(kind=TransferKind.GIFT).exists()


def test_string_leg_amount_is_an_invalid_amount_and_writes_nothing(funded, coin):
    """Legs carry the Decimal that to_amount returned; a str used to end in a TypeError."""
    alice = funded("0")
    before = Transfer.objects.count()
    with pytest.raises(InvalidAmount) as exc:
        post_transfer(
            kind=TransferKind.ADJUSTMENT,
            legs=[
                Leg(user_wallet(user=alice, asset=coin), "5.00"),
                Leg(system_wallet(code=SystemWallet.ISSUANCE, asset=coin), "-5.00"),
            ],
            initiator="system:test",
        )
    assert exc.value.code == "invalid_amount" and exc.value.http_status == 400
    assert exc.value.details["amount"] == "5.00"
    assert Transfer.objects.count() == before


def test_legs_merged_beyond_a_postings_range_are_an_invalid_amount(funded, coin):
    """Each leg passes to_amount; their sum on one wallet would overflow numeric(20,4)."""
    alice = funded("0")
    wallet, issuance = user_wallet(user=alice, asset=coin), system_wallet(code=SystemWallet.ISSUANCE, asset=coin)
    nine = Decimal("9000000000000000.00")
    before = Transfer.objects.count()
    with pytest.raises(InvalidAmount) as exc:
        post_transfer(
            kind=TransferKind.ADJUSTMENT,
            legs=[Leg(wallet, nine), Leg(wallet, nine), Leg(issuance, -nine), Leg(issuance, -nine)],
            initiator="system:test",
        )
    assert exc.value.code == "invalid_amount" and exc.value.http_status == 400
    first = min(wallet.pk, issuance.pk)
    assert exc.value.details == {
        "wallet": first,
        "asset": "COIN",
        "amount": "18000000000000000.00" if first == wallet.pk else "-18000000000000000.00",
    }
    assert Transfer.objects.count() == before
    assert user_wallet(user=alice, asset=coin).balance == 0


def test_balance_beyond_its_range_is_refused_and_writes_nothing(funded, coin):
    """The second 9,000,000,000,000,000.00 would take the balance past numeric(20,4): refused
    before any write (the PostgreSQL function and the ORM path alike), not a DataError."""
    alice = funded("9000000000000000.00")
    before = Transfer.objects.count()
    with pytest.raises(BalanceOutOfRange) as exc:
        services.issue(user=alice, asset=coin, amount="9000000000000000.00", initiator="system:test")
    assert exc.value.code == "balance_out_of_range" and exc.value.http_status == 409
    wallet = user_wallet(user=alice, asset=coin)
    assert exc.value.details == {
        "wallet": wallet.pk,
        "asset": "COIN",
        "balance": "9000000000000000.00",
        "amount": "9000000000000000.00",
    }
    assert Transfer.objects.count() == before
    assert wallet.balance == Decimal("9000000000000000.00")


def test_gift_to_self_and_asset_mismatch(funded, coin):
    alice = funded()
    with pytest.raises(InvalidAmount):
        services.gift(sender=alice, receiver=alice, asset=coin, amount="1", idempotency_key="x")
    with pytest.raises(AssetMismatch) as exc:
        services.transfers._require_same_asset(
            user_wallet(user=alice, asset=coin), user_wallet(user=alice, asset=Asset.objects.get(code="EUR"))
        )
    assert exc.value.code == "asset_mismatch"


def test_hot_system_wallets_keep_no_stored_balance(funded, coin):
    funded("40.00")
    issuance = system_wallet(code=SystemWallet.ISSUANCE, asset=coin)
    assert issuance.balance == 0 and not issuance.tracks_balance
    assert Posting.objects.filter(wallet=issuance, balance_after__isnull=True).exists()
    from ledger.selectors import wallet_balance

    assert wallet_balance(wallet=issuance) == Posting.objects.filter(wallet=issuance).aggregate(t=amount_sum())["t"]


def test_idempotent_replay_and_conflict(funded, coin):
    alice, bob = funded(), funded("0")
    first = services.gift(sender=alice, receiver=bob, asset=coin, amount="5", idempotency_key="k")
    again = services.gift(sender=alice, receiver=bob, asset=coin, amount="5.00", idempotency_key="k")
    assert again.pk == first.pk
    assert user_wallet(user=bob, asset=coin).balance == Decimal("5.00")
    with pytest.raises(IdempotencyConflict) as exc:
        services.gift(sender=alice, receiver=bob, asset=coin, amount="6", idempotency_key="k")
    assert exc.value.code == "idempotency_conflict"
    # The key is scoped per initiator: another sender may use the same key.
    carol = funded()
    assert services.gift(sender=carol, receiver=bob, asset=coin, amount="5", idempotency_key="k").pk != first.pk


@pytest.mark.parametrize("how", ["archived", "inactive", "frozen"])
def test_frozen_wallets_move_no_money(funded, coin, how):
    alice, bob = funded(), funded("0")
    if how == "archived":
        from django.utils import timezone

        type(alice.customer).objects.filter(pk=alice.customer.pk).update(is_archived=True, archived_at=timezone.now())
    elif how == "inactive":
        type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    else:
        services.set_wallets_frozen(user=alice, frozen=True, reason="abuse review")
    with pytest.raises(WalletFrozen) as exc:
        services.gift(sender=alice, receiver=bob, asset=coin, amount="1", idempotency_key="f")
    assert exc.value.code == "wallet_frozen"
    with pytest.raises(WalletFrozen):  # receiving is refused too
        services.issue(user=alice, asset=coin, amount="1", initiator="system:test")


def test_unfreeze_restores_movement(funded, coin):
    alice, bob = funded(), funded("0")
    assert services.set_wallets_frozen(user=alice, frozen=True, reason="hold") is True
    assert services.set_wallets_frozen(user=alice, frozen=False) is False
    services.gift(sender=alice, receiver=bob, asset=coin, amount="1", idempotency_key="u")
    with pytest.raises(InvalidAmount):
        services.set_wallets_frozen(user=alice, frozen=True, reason=" ")


def test_reversal_undoes_exactly_once(funded, coin):
    alice, bob = funded("50.00"), funded("0")
    gift = services.gift(sender=alice, receiver=bob, asset=coin, amount="20", idempotency_key="r")
    reviewer = staff_user("accounting")
    reversal = services.reverse_transfer(transfer=gift, reason="sent by mistake", created_by=reviewer)
    assert reversal.reverses_id == gift.pk and reversal.kind == TransferKind.REVERSAL
    assert sorted(p.amount for p in reversal.postings.all()) == sorted(-p.amount for p in gift.postings.all())
    assert user_wallet(user=alice, asset=coin).balance == Decimal("50.00")
    assert user_wallet(user=bob, asset=coin).balance == 0
    with pytest.raises(AlreadyReversed) as exc:
        services.reverse_transfer(transfer=gift, reason="again", created_by=staff_user("accounting"))
    assert exc.value.code == "already_reversed"
    with pytest.raises(AlreadyReversed):
        services.reverse_transfer(transfer=reversal, reason="undo the undo", created_by=reviewer)
    with pytest.raises(InvalidAmount):
        services.reverse_transfer(transfer=TransferFactory(), reason="  ")


def test_reversal_refused_when_money_was_spent(funded, coin):
    alice, bob, carol = funded("20.00"), funded("0"), funded("0")
    gift = services.gift(sender=alice, receiver=bob, asset=coin, amount="20", idempotency_key="s")
    services.gift(sender=bob, receiver=carol, asset=coin, amount="15", idempotency_key="s")
    with pytest.raises(InsufficientFunds):
        services.reverse_transfer(transfer=gift, reason="chargeback")
    assert not Transfer.objects.filter(reverses=gift).exists()


def test_small_adjustment_posts_at_once(funded, coin):
    alice = funded("0")
    maker = staff_user("accounting")
    request = services.adjust_balance(user=alice, asset=coin, amount="25.00", reason="goodwill", created_by=maker)
    assert request.status == AdjustmentStatus.POSTED and request.transfer.kind == TransferKind.ADJUSTMENT
    assert user_wallet(user=alice, asset=coin).balance == Decimal("25.00")
    adjustments = system_wallet(code=SystemWallet.ADJUSTMENTS, asset=coin)
    assert request.transfer.postings.get(wallet=adjustments).amount == Decimal("-25.00")
    debit = services.adjust_balance(user=alice, asset=coin, amount="-5.00", reason="correction", created_by=maker)
    assert debit.status == AdjustmentStatus.POSTED
    assert user_wallet(user=alice, asset=coin).balance == Decimal("20.00")
    with pytest.raises(InsufficientFunds):
        services.adjust_balance(user=alice, asset=coin, amount="-21.00", reason="too much", created_by=maker)
    with pytest.raises(InvalidAmount):
        services.adjust_balance(user=alice, asset=coin, amount="0", reason="nothing", created_by=maker)


@override_config(ADJUSTMENT_APPROVAL_THRESHOLD="100.00")
def test_large_adjustment_waits_for_a_second_user(funded, coin):
    alice = funded("0")
    maker, checker = staff_user("accounting"), staff_user("accounting")
    request = services.adjust_balance(
        user=alice, asset=coin, amount="500.00", reason="migration fix", created_by=maker, idempotency_key="adj-1"
    )
    assert request.status == AdjustmentStatus.PENDING and request.transfer is None
    assert user_wallet(user=alice, asset=coin).balance == 0
    # Same key, same request: the original; same key, other amount: a conflict.
    assert (
        services.adjust_balance(
            user=alice, asset=coin, amount="500", reason="x", created_by=maker, idempotency_key="adj-1"
        ).pk
        == request.pk
    )
    with pytest.raises(IdempotencyConflict):
        services.adjust_balance(
            user=alice, asset=coin, amount="501", reason="x", created_by=maker, idempotency_key="adj-1"
        )
    with pytest.raises(SelfApproval) as exc:
        services.approve_adjustment(request=request, approved_by=maker)
    assert exc.value.code == "self_approval"
    approved = services.approve_adjustment(request=request, approved_by=checker)
    assert approved.status == AdjustmentStatus.POSTED and approved.approved_by == checker
    assert approved.transfer.created_by == checker
    assert user_wallet(user=alice, asset=coin).balance == Decimal("500.00")
    with pytest.raises(InvalidState):
        services.approve_adjustment(request=approved, approved_by=checker)


@override_config(ADJUSTMENT_APPROVAL_THRESHOLD="100.00")
def test_rejected_adjustment_posts_nothing(funded, coin):
    alice = funded("0")
    maker, checker = staff_user("accounting"), staff_user("accounting")
    request = services.adjust_balance(user=alice, asset=coin, amount="-500.00", reason="claw back", created_by=maker)
    rejected = services.reject_adjustment(request=request, rejected_by=checker, note="no evidence")
    assert rejected.status == AdjustmentStatus.REJECTED and rejected.transfer is None
    with pytest.raises(InvalidState):
        services.approve_adjustment(request=rejected, approved_by=checker)
    # The maker may withdraw their own pending request.
    own = services.adjust_balance(user=alice, asset=coin, amount="200", reason="typo", created_by=maker)
    assert services.reject_adjustment(request=own, rejected_by=maker, note="withdrawn").approved_by is None


def test_other_helpers_signatures_still_work(coin):
    user = CustomerFactory().user
    transfer = services.issue(
        user=user, asset=coin, amount="1.00", initiator="app:1", idempotency_key="i", reference="ext-1"
    )
    assert transfer.reference == "ext-1"
    assert (
        services.issue(
            user=user, asset=coin, amount="1.00", initiator="app:1", idempotency_key="i", reference="ext-1"
        ).pk
        == transfer.pk
    )
