"""Payments and auto top-up settings; completing a payment settles it in the ledger, once."""

from django.db import transaction

from billing.errors import InvalidState, ValidationFailed
from billing.models import AutoTopUp, Invoice, InvoiceStatus, Payment, PaymentKind, PaymentMethod, PaymentStatus
from billing.services._common import (
    DEFAULT_GATEWAY,
    INITIATOR,
    _gateway_wallet,
    _locked_invoice,
    _require_fiat_or_coin,
)
from ledger.models import Asset, SystemWallet, TransferKind
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet
from nodebyte_platform.fsm import transition


def create_payment(
    *,
    customer,
    amount,
    currency: Asset,
    type: str = PaymentKind.PAYMENT,
    payment_method: str = PaymentMethod.CARD,
    gateway: str = DEFAULT_GATEWAY,
    gateway_reference: str = "",
    invoice: Invoice | None = None,
    description: str = "",
    metadata: dict | None = None,
) -> Payment:
    """A pending payment (or top-up, or refund) on the customer's wallet in `currency`."""
    _require_fiat_or_coin(currency)
    amount = to_amount(amount, asset=currency)
    if type not in PaymentKind.values:
        raise ValidationFailed(f"Unknown payment type {type!r}.")
    if payment_method not in PaymentMethod.values:
        raise ValidationFailed(f"Unknown payment method {payment_method!r}.")
    _gateway_wallet(gateway=gateway, asset=currency)
    if invoice is not None:
        if invoice.customer_id != customer.pk or invoice.currency_id != currency.pk:
            raise ValidationFailed("The invoice belongs to another customer or currency.")
        if invoice.status not in (InvoiceStatus.UNPAID, InvoiceStatus.OVERDUE):
            raise InvalidState("The invoice is not open for payment.", details={"status": invoice.status})
    with transaction.atomic():
        return Payment.objects.create(
            customer=customer,
            wallet=user_wallet(user=customer.user, asset=currency),
            invoice=invoice,
            type=type,
            amount=amount,
            currency=currency,
            payment_method=payment_method,
            gateway=gateway,
            gateway_reference=gateway_reference,
            description=description,
            metadata=metadata or {},
        )


def complete_payment(*, payment: Payment, by=None) -> Payment:
    """Settle a pending payment in the ledger; completing a completed payment returns it unchanged.

    A payment or top-up moves money from the gateway to the customer's wallet; a
    refund moves it back. A payment for an open invoice it covers also pays the
    invoice, in the same transfer (customer -> revenue).
    """
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("currency", "customer__user", "invoice")
            .get(pk=payment.pk)
        )
        if locked.status == PaymentStatus.COMPLETED:
            return locked
        if locked.status != PaymentStatus.PENDING:
            raise InvalidState(f"A {locked.status} payment cannot be completed.", details={"status": locked.status})
        asset = locked.currency
        gateway = _gateway_wallet(gateway=locked.gateway, asset=asset)
        customer_wallet = locked.wallet or user_wallet(user=locked.customer.user, asset=asset)
        if locked.type == PaymentKind.REFUND:
            kind, legs = TransferKind.REFUND, [Leg(customer_wallet, -locked.amount), Leg(gateway, locked.amount)]
        else:
            kind = TransferKind.PAYMENT if locked.type == PaymentKind.PAYMENT else TransferKind.TOPUP
            legs = [Leg(gateway, -locked.amount), Leg(customer_wallet, locked.amount)]
        invoice = None
        if locked.invoice_id and locked.type == PaymentKind.PAYMENT:
            invoice = _locked_invoice(locked.invoice)
            settles = (
                invoice.status in (InvoiceStatus.UNPAID, InvoiceStatus.OVERDUE)
                and invoice.currency_id == asset.pk
                and locked.amount >= invoice.total
            )
            if settles and invoice.total > 0:
                revenue = system_wallet(code=SystemWallet.REVENUE, asset=asset)
                legs += [Leg(customer_wallet, -invoice.total), Leg(revenue, invoice.total)]
            elif not settles:
                invoice = None
        transfer = post_transfer(
            kind=kind,
            legs=legs,
            initiator=INITIATOR,
            idempotency_key=f"payment:{locked.public_id}",
            description=locked.description or f"{locked.get_type_display()} {locked.public_id}",
            reference=locked.gateway_reference,
            metadata={"payment": str(locked.public_id), "invoice": invoice.number if invoice else None},
            created_by=by,
        )
        locked.wallet = customer_wallet
        transition(locked, "complete", error=InvalidState, transfer=transfer)
        locked.save()
        if invoice is not None:
            transition(invoice, "mark_paid", error=InvalidState)
            invoice.save()
        return locked


def fail_payment(*, payment: Payment, reason: str = "") -> Payment:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        transition(locked, "fail", error=InvalidState, reason=reason[:255])
        locked.save()
        return locked


def cancel_payment(*, payment: Payment) -> Payment:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        transition(locked, "cancel", error=InvalidState)
        locked.save()
        return locked


def configure_auto_topup(
    *, customer, currency: Asset, enabled: bool, threshold, amount, payment_method_id: str = ""
) -> AutoTopUp:
    _require_fiat_or_coin(currency)
    threshold = to_amount(threshold, asset=currency, positive=False)
    if threshold < 0:
        raise ValidationFailed("The threshold cannot be negative.")
    amount = to_amount(amount, asset=currency)
    with transaction.atomic():
        setting, _ = AutoTopUp.objects.update_or_create(
            customer=customer,
            defaults={
                "currency": currency,
                "enabled": enabled,
                "threshold": threshold,
                "amount": amount,
                "payment_method_id": payment_method_id,
            },
        )
        return setting
