"""Withdrawals: hold in `payouts` on request, release on fail/cancel, pay out to the gateway on complete."""

from django.db import transaction

from billing.errors import InvalidState, ValidationFailed
from billing.models import Withdrawal, WithdrawalMethod, WithdrawalStatus
from billing.services._common import DEFAULT_GATEWAY, INITIATOR, _gateway_wallet, _require_fiat_or_coin
from ledger.models import Asset, SystemWallet, TransferKind
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet
from nodebyte_platform.fsm import transition


def _payout_details(method: str, *, bank_details, paypal_email: str, crypto_address: str) -> None:
    missing = (
        (method == WithdrawalMethod.BANK and not bank_details)
        or (method == WithdrawalMethod.PAYPAL and not paypal_email)
        or (method == WithdrawalMethod.CRYPTO and not crypto_address)
    )
    if method not in WithdrawalMethod.values:
        raise ValidationFailed(f"Unknown withdrawal method {method!r}.")
    if missing:
        raise ValidationFailed(f"A {method} withdrawal needs its payout details.", details={"method": method})


def request_withdrawal(
    *,
    customer,
    amount,
    currency: Asset,
    method: str,
    bank_details: dict | None = None,
    paypal_email: str = "",
    crypto_address: str = "",
) -> Withdrawal:
    """Create a pending withdrawal and hold its amount in the `payouts` wallet.

    Fails with `insufficient_funds` (nothing written) when the wallet cannot cover it.
    """
    _require_fiat_or_coin(currency)
    amount = to_amount(amount, asset=currency)
    _payout_details(method, bank_details=bank_details, paypal_email=paypal_email, crypto_address=crypto_address)
    with transaction.atomic():
        withdrawal = Withdrawal.objects.create(
            customer=customer,
            amount=amount,
            currency=currency,
            method=method,
            bank_details=bank_details or None,
            paypal_email=paypal_email or None,
            crypto_address=crypto_address or None,
        )
        withdrawal.hold_transfer = post_transfer(
            kind=TransferKind.WITHDRAWAL,
            legs=[
                Leg(user_wallet(user=customer.user, asset=currency), -amount),
                Leg(system_wallet(code=SystemWallet.PAYOUTS, asset=currency), amount),
            ],
            initiator=f"user:{customer.user_id}",
            idempotency_key=f"withdrawal-hold:{withdrawal.public_id}",
            description=f"Withdrawal {withdrawal.public_id} held",
            metadata={"withdrawal": str(withdrawal.public_id)},
        )
        withdrawal.save(update_fields=["hold_transfer"])
        return withdrawal


def _locked_withdrawal(withdrawal: Withdrawal) -> Withdrawal:
    return (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("currency", "customer__user")
        .get(pk=withdrawal.pk)
    )


def start_withdrawal_processing(*, withdrawal: Withdrawal, by=None) -> Withdrawal:
    with transaction.atomic():
        locked = _locked_withdrawal(withdrawal)
        transition(locked, "start_processing", error=InvalidState)
        locked.save()
        return locked


def _release(locked: Withdrawal, *, by, why: str):
    return post_transfer(
        kind=TransferKind.WITHDRAWAL,
        legs=[
            Leg(system_wallet(code=SystemWallet.PAYOUTS, asset=locked.currency), -locked.amount),
            Leg(user_wallet(user=locked.customer.user, asset=locked.currency), locked.amount),
        ],
        initiator=INITIATOR,
        idempotency_key=f"withdrawal-release:{locked.public_id}",
        description=f"Withdrawal {locked.public_id} {why}: amount released",
        metadata={"withdrawal": str(locked.public_id)},
        created_by=by,
        # Money goes back to its owner even when the account was archived meanwhile.
        allow_frozen=True,
    )


def fail_withdrawal(*, withdrawal: Withdrawal, reason: str, by=None) -> Withdrawal:
    """A pending or processing withdrawal failed: the held amount goes back to the customer."""
    with transaction.atomic():
        locked = _locked_withdrawal(withdrawal)
        if locked.status not in (WithdrawalStatus.PENDING, WithdrawalStatus.PROCESSING):
            raise InvalidState(f"A {locked.status} withdrawal cannot fail.", details={"status": locked.status})
        transition(
            locked,
            "fail",
            error=InvalidState,
            reason=reason[:255],
            release_transfer=_release(locked, by=by, why="failed"),
        )
        locked.save()
        return locked


def cancel_withdrawal(*, withdrawal: Withdrawal, by=None) -> Withdrawal:
    """The customer (or staff) withdraws a pending request: the held amount goes back."""
    with transaction.atomic():
        locked = _locked_withdrawal(withdrawal)
        if locked.status != WithdrawalStatus.PENDING:
            raise InvalidState(f"A {locked.status} withdrawal cannot be cancelled.", details={"status": locked.status})
        transition(locked, "cancel", error=InvalidState, release_transfer=_release(locked, by=by, why="cancelled"))
        locked.save()
        return locked


def complete_withdrawal(*, withdrawal: Withdrawal, by=None, gateway: str = DEFAULT_GATEWAY) -> Withdrawal:
    """The gateway paid the customer: the held amount leaves `payouts` for the gateway."""
    with transaction.atomic():
        locked = _locked_withdrawal(withdrawal)
        if locked.status != WithdrawalStatus.PROCESSING:
            raise InvalidState(f"A {locked.status} withdrawal cannot complete.", details={"status": locked.status})
        payout = post_transfer(
            kind=TransferKind.WITHDRAWAL,
            legs=[
                Leg(system_wallet(code=SystemWallet.PAYOUTS, asset=locked.currency), -locked.amount),
                Leg(_gateway_wallet(gateway=gateway, asset=locked.currency), locked.amount),
            ],
            initiator=INITIATOR,
            idempotency_key=f"withdrawal-payout:{locked.public_id}",
            description=f"Withdrawal {locked.public_id} paid out",
            metadata={"withdrawal": str(locked.public_id)},
            created_by=by,
        )
        transition(locked, "complete", error=InvalidState, payout_transfer=payout)
        locked.save()
        return locked
