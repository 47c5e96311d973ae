"""Manual bank-transfer payments: recorded by accounting; above BANK_PAYMENT_APPROVAL_THRESHOLD
they post only once a second accounting user approves (maker-checker, nobody their own)."""

from decimal import Decimal, InvalidOperation

from constance import config
from django.db import transaction

from billing.errors import InvalidState, SelfApproval, ValidationFailed
from billing.models import Payment, PaymentKind, PaymentMethod, PaymentStatus
from billing.services._common import require_deciding_staff
from billing.services.payments import complete_payment, create_payment, locked_payment
from ledger.models import Asset, AssetKind

BANK_GATEWAY = "bank"


def bank_approval_threshold() -> Decimal:
    try:
        return Decimal(str(config.BANK_PAYMENT_APPROVAL_THRESHOLD))
    except (InvalidOperation, ValueError):
        return Decimal(0)  # a mistyped setting sends every bank payment to a second approver


def record_bank_payment(*, customer, amount, currency: Asset, reference: str, recorded_by) -> Payment:
    """Accounting saw `amount` arrive on the bank account with `reference`: a top-up of the
    player's wallet, posted now up to the threshold, pending a second approver above it."""
    require_deciding_staff(recorded_by, doing="record a bank payment")
    if currency.kind != AssetKind.FIAT:
        raise ValidationFailed("A bank transfer arrives in a fiat currency.", details={"field": "currency"})
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed("Give the bank's reference of the transfer.", details={"field": "reference"})
    with transaction.atomic():
        payment = create_payment(
            customer=customer,
            amount=amount,
            currency=currency,
            type=PaymentKind.TOPUP,
            payment_method=PaymentMethod.BANK,
            gateway=BANK_GATEWAY,
            gateway_reference=reference[:191],
            description=f"Bank transfer {reference}"[:500],
            recorded_by=recorded_by,
        )
        if payment.amount <= bank_approval_threshold():
            return complete_payment(payment=payment, by=recorded_by)
        return payment


def approve_bank_payment(*, payment: Payment, approved_by) -> Payment:
    require_deciding_staff(approved_by, doing="approve a bank payment")
    with transaction.atomic():
        locked = locked_payment(payment)
        if locked.gateway != BANK_GATEWAY:
            raise ValidationFailed("Only bank transfers are approved by staff; card payments complete at the provider.")
        if locked.status != PaymentStatus.PENDING:
            raise InvalidState(f"This payment is {locked.status}.", details={"status": locked.status})
        if locked.recorded_by_id == approved_by.pk:
            raise SelfApproval("A second accounting user approves the bank payment you recorded.")
        locked.approved_by = approved_by
        locked.save(update_fields=["approved_by"])
        return complete_payment(payment=locked, by=approved_by)


def reject_bank_payment(*, payment: Payment, rejected_by, reason: str) -> Payment:
    from billing.services.payments import cancel_payment

    require_deciding_staff(rejected_by, doing="reject a bank payment")
    if payment.gateway != BANK_GATEWAY:
        raise ValidationFailed("Only bank transfers are rejected by staff.")
    return cancel_payment(payment=payment, reason=(reason or "Rejected by accounting")[:255])
