"""Refunds and disputes: they undo exactly what a payment posted, in proportion to the amount.

A refund is decided by accounting (role check, at most what is left unrefunded, a reason). Its
ledger transfer posts first, in one transaction with the pending refund row, so coins the player
has already spent make it fail there with `refund_refused` and nothing is asked of the
provider; then the provider refunds; if it refuses, a reversal gives the coins back. A dispute
(chargeback) cannot be refused: what can be reversed is, and when the coins were spent the
player's wallets are frozen and the dispute stays open as a finding for staff.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from billing import signals
from billing.errors import InvalidState, RefundRefused, ValidationFailed
from billing.gateways import GatewayFailed, GatewayUnavailable, get_gateway
from billing.models import Dispute, DisputeStatus, Payment, PaymentKind, PaymentStatus
from billing.services._common import INITIATOR, require_deciding_staff
from billing.services.payments import locked_payment
from ledger.errors import InsufficientFunds
from ledger.models import TransferKind
from ledger.services import Leg, post_transfer, reverse_transfer, set_wallets_frozen, to_amount
from nodebyte_platform.fsm import transition


def _undo_legs(payment: Payment, *, amount: Decimal) -> list[Leg]:
    """Legs undoing `amount` of `payment`'s transfer: every posting scaled by amount/payment.amount,
    rounded to its asset's places; per asset, the platform's own wallet takes the rounding."""
    postings = list(payment.transfer.postings.select_related("wallet__asset"))
    fraction = amount / payment.amount
    legs, by_asset = [], {}
    for posting in postings:
        asset = posting.wallet.asset
        exact = -posting.amount if amount == payment.amount else -posting.amount * fraction
        leg = Leg(posting.wallet, exact.quantize(asset.quantum, rounding=ROUND_HALF_UP))
        legs.append(leg)
        by_asset.setdefault(asset.pk, []).append(leg)
    balanced = []
    for group in by_asset.values():
        drift = sum((leg.amount for leg in group), Decimal(0))
        if drift:
            system = next(i for i, leg in enumerate(group) if leg.wallet.owner_id is None)
            group[system] = Leg(group[system].wallet, group[system].amount - drift)
        balanced.extend(group)
    return [leg for leg in balanced if leg.amount]


def _refundable(locked: Payment) -> Decimal:
    if locked.type == PaymentKind.REFUND:
        raise ValidationFailed("A refund cannot itself be refunded.")
    if locked.status != PaymentStatus.COMPLETED or locked.transfer_id is None:
        raise InvalidState(f"A {locked.status} payment cannot be refunded.", details={"status": locked.status})
    return locked.amount - locked.refunded_amount


def refund_payment(*, payment: Payment, amount, reason: str, by) -> Payment:
    """Refund `amount` (all or part of what is left) of a completed payment; returns the refund."""
    require_deciding_staff(by, doing="refund a payment")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A refund needs a reason.", details={"field": "reason"})
    amount = to_amount(amount, asset=payment.currency)
    with transaction.atomic():
        locked = locked_payment(payment)
        left = _refundable(locked)
        if amount > left:
            raise ValidationFailed(
                f"At most {left} {locked.currency.code} of this payment is left to refund.",
                details={"field": "amount", "refundable": str(left)},
            )
        refund = Payment.objects.create(
            customer=locked.customer,
            wallet=locked.wallet,
            type=PaymentKind.REFUND,
            amount=amount,
            currency=locked.currency,
            payment_method=locked.payment_method,
            gateway=locked.gateway,
            refund_of=locked,
            recorded_by=by,
            description=f"Refund of {locked.public_id}: {reason}"[:500],
            metadata={"reason": reason},
        )
        try:
            refund.transfer = post_transfer(
                kind=TransferKind.REFUND,
                legs=_undo_legs(locked, amount=amount),
                initiator=INITIATOR,
                idempotency_key=f"refund:{refund.public_id}",
                description=refund.description,
                metadata={"payment": str(locked.public_id), "refund": str(refund.public_id), "reason": reason},
                created_by=by,
                allow_frozen=True,
            )
        except InsufficientFunds as exc:
            raise RefundRefused(
                "The player has already spent what this payment credited: the refund would take their "
                "wallet below zero. Refund less, or open a dispute review instead.",
                details={"payment": str(locked.public_id), **exc.details},
            )
        refund.save(update_fields=["transfer"])
        locked.refunded_amount += amount
        locked.save(update_fields=["refunded_amount"])
    return _refund_at_provider(refund=refund, original=locked, reason=reason, by=by)


def _refund_at_provider(*, refund: Payment, original: Payment, reason: str, by) -> Payment:
    try:
        result = get_gateway(original.gateway).refund(
            original, amount=refund.amount, reason=reason, idempotency_key=f"refund:{refund.public_id}"
        )
        failure = result.message if result.status == "failed" else ""
    except (GatewayFailed, GatewayUnavailable) as exc:
        result, failure = None, exc.message
    if failure or result is None:
        _undo_refused_refund(refund=refund, original=original, failure=failure, by=by)
        raise RefundRefused(f"The provider refused the refund: {failure}", details={"refund": str(refund.public_id)})
    with transaction.atomic():
        locked_refund = locked_payment(refund)
        locked_refund.gateway_reference = result.reference
        transition(locked_refund, "complete", transfer=locked_refund.transfer)
        locked_refund.save()
        _announce_refund(original, locked_refund, reason=reason)
        return locked_refund


def _undo_refused_refund(*, refund: Payment, original: Payment, failure: str, by) -> None:
    """The provider refused: give back what the refund's transfer took, and free its amount again."""
    with transaction.atomic():
        locked_refund = locked_payment(refund)
        reverse_transfer(
            transfer=locked_refund.transfer,
            reason=f"Refund refused by the provider: {failure}"[:500],
            created_by=by,
            initiator=INITIATOR,
        )
        transition(locked_refund, "fail", reason=failure[:255] or "The provider refused the refund.")
        locked_refund.save()
        original_locked = locked_payment(original)
        original_locked.refunded_amount -= locked_refund.amount
        original_locked.save(update_fields=["refunded_amount"])


def _announce_refund(original: Payment, refund: Payment, *, reason: str) -> None:
    signals.payment_refunded.emit(
        key=f"payment-refunded:{refund.public_id}",
        customer_id=original.customer_id,
        payment_id=str(original.public_id),
        refund_id=str(refund.public_id),
        amount=str(refund.amount),
        currency=original.currency.code,
        reason=reason,
    )


def _freeze_for_review(payment: Payment, *, why: str) -> None:
    set_wallets_frozen(user=payment.customer.user, frozen=True, reason=why[:255])


def record_provider_refund(*, payment: Payment, refunded_total: Decimal, provider_reference: str) -> str:
    """Stripe says `refunded_total` of the payment is refunded: post what we have not yet (a refund
    made in the provider's dashboard). Spent coins cannot be refused back: the wallet is frozen."""
    with transaction.atomic():
        locked = locked_payment(payment)
        missing = min(refunded_total, locked.amount) - locked.refunded_amount
        if missing <= 0:
            return "already recorded"
        refund = Payment.objects.create(
            customer=locked.customer,
            wallet=locked.wallet,
            type=PaymentKind.REFUND,
            amount=missing,
            currency=locked.currency,
            payment_method=locked.payment_method,
            gateway=locked.gateway,
            refund_of=locked,
            description=f"Refund of {locked.public_id} made at the provider",
        )
        legs = _undo_legs(locked, amount=missing)
        try:
            with transaction.atomic():
                transfer = post_transfer(
                    kind=TransferKind.REFUND,
                    legs=legs,
                    initiator=INITIATOR,
                    idempotency_key=f"refund:{refund.public_id}",
                    description=refund.description,
                    metadata={"payment": str(locked.public_id), "provider_refund": provider_reference},
                    allow_frozen=True,
                )
        except InsufficientFunds:
            _open_finding(locked, amount=missing, reference=f"refund:{provider_reference or refund.public_id}")
            refund.delete()
            return "refund at the provider after the coins were spent: wallets frozen, dispute opened"
        transition(refund, "complete", transfer=transfer)
        refund.save()
        locked.refunded_amount += missing
        locked.save(update_fields=["refunded_amount"])
        _announce_refund(locked, refund, reason="Refunded at the provider")
        return f"refund of {missing} recorded"


def _open_finding(payment: Payment, *, amount: Decimal, reference: str, reason: str = "") -> Dispute:
    _freeze_for_review(payment, why=f"Payment {payment.public_id} reversed by the provider after its coins were spent")
    dispute, _ = Dispute.objects.get_or_create(
        gateway=payment.gateway,
        provider_dispute_id=reference[:191],
        defaults={
            "payment": payment,
            "amount": amount,
            "reason": reason[:100],
            "status": DisputeStatus.NEEDS_REVIEW,
            "note": "The player had spent what the payment credited; their wallets are frozen until staff review.",
        },
    )
    return dispute


def open_dispute(*, payment: Payment, gateway: str, provider_dispute_id: str, amount: Decimal, reason: str) -> Dispute:
    """A chargeback: reverse what the payment posted (the disputed part); if the coins are gone,
    freeze the player's wallets and leave the dispute open for review."""
    existing = Dispute.objects.filter(gateway=gateway, provider_dispute_id=provider_dispute_id).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        locked = locked_payment(payment)
        disputed = min(amount, locked.amount - locked.refunded_amount)
        if locked.status != PaymentStatus.COMPLETED or disputed <= 0:
            return Dispute.objects.create(
                payment=locked,
                gateway=gateway,
                provider_dispute_id=provider_dispute_id,
                amount=amount,
                reason=reason[:100],
                status=DisputeStatus.NEEDS_REVIEW,
                note="Nothing left to reverse on this payment (not completed, or already refunded).",
            )
        try:
            with transaction.atomic():
                reversal = post_transfer(
                    kind=TransferKind.REVERSAL,
                    legs=_undo_legs(locked, amount=disputed),
                    initiator=INITIATOR,
                    idempotency_key=f"dispute:{gateway}:{provider_dispute_id}",
                    description=f"Dispute {provider_dispute_id} on payment {locked.public_id}",
                    metadata={"payment": str(locked.public_id), "dispute": provider_dispute_id},
                    allow_frozen=True,
                )
        except InsufficientFunds:
            return _open_finding(locked, amount=disputed, reference=provider_dispute_id, reason=reason)
        locked.refunded_amount += disputed
        locked.save(update_fields=["refunded_amount"])
        return Dispute.objects.create(
            payment=locked,
            gateway=gateway,
            provider_dispute_id=provider_dispute_id,
            amount=disputed,
            reason=reason[:100],
            status=DisputeStatus.REVERSED,
            reversal_transfer=reversal,
        )


__all__ = ["open_dispute", "record_provider_refund", "refund_payment"]
