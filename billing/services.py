"""Writes of billing: invoices, payments, withdrawals, auto top-up settings.

Money settles only through `ledger.services.post_transfer`, each move under an
idempotency key derived from the record's public id, so a retried call (a
double-clicked admin action, a replayed task) posts nothing twice.

Withdrawal money path: requesting holds the amount (customer wallet -> `payouts`);
failing or cancelling releases it (`payouts` -> customer); completing pays it out
(`payouts` -> the gateway).
"""

import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from billing.errors import InvalidState, ValidationFailed
from billing.models import (
    AutoTopUp,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Withdrawal,
    WithdrawalMethod,
    WithdrawalStatus,
)
from ledger.models import Asset, AssetKind, SystemWallet, TransferKind
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet

INITIATOR = "system:billing"
# The one gateway wired today; a real one adds its `gateway:<name>` system wallet.
DEFAULT_GATEWAY = "sandbox"


def _initiator(by) -> str:
    return f"user:{by.pk}" if by is not None else INITIATOR


def _transition(record, method_name: str, **kwargs) -> None:
    try:
        getattr(record, method_name)(**kwargs)
    except TransitionNotAllowed:
        raise InvalidState(
            f"Cannot {method_name.replace('_', ' ')} a {record.get_status_display().lower()} "
            f"{record._meta.verbose_name}.",
            details={"status": record.status},
        )


def _gateway_wallet(*, gateway: str, asset: Asset):
    code = f"gateway:{gateway}"
    if code not in SystemWallet.values:
        raise ValidationFailed(f"Unknown payment gateway {gateway!r}.", details={"gateway": gateway})
    return system_wallet(code=code, asset=asset)


def _require_fiat_or_coin(asset: Asset) -> None:
    if asset.kind not in (AssetKind.FIAT, AssetKind.PLATFORM):
        raise ValidationFailed(f"{asset.code} is not a currency customers pay in.", details={"currency": asset.code})


# --- invoices -------------------------------------------------------------------------


def new_invoice_number() -> str:
    return f"INV-{timezone.now():%Y%m}-{uuid.uuid4().hex[:8].upper()}"


def create_invoice(
    *,
    customer,
    currency: Asset,
    items: Iterable[dict],
    due_at,
    tax=Decimal(0),
    subscription=None,
    period_start=None,
    period_end=None,
    notes: str = "",
) -> Invoice:
    """An unpaid invoice with its items; subtotal and total are computed here, never typed in.

    Each item: description, unit_price, and optionally quantity, product, server.
    """
    _require_fiat_or_coin(currency)
    tax = to_amount(tax, asset=currency, positive=False)
    if tax < 0:
        raise ValidationFailed("Tax cannot be negative.")
    lines = []
    for item in items:
        quantity = int(item.get("quantity", 1))
        if quantity <= 0:
            raise ValidationFailed("Item quantity must be positive.", details={"item": item.get("description", "")})
        unit_price = to_amount(item["unit_price"], asset=currency, positive=False)
        if unit_price < 0:
            raise ValidationFailed("Item price cannot be negative.", details={"item": item.get("description", "")})
        lines.append(
            InvoiceItem(
                description=item["description"],
                quantity=quantity,
                unit_price=unit_price,
                amount=unit_price * quantity,
                product=item.get("product"),
                server=item.get("server"),
            )
        )
    if not lines:
        raise ValidationFailed("An invoice needs at least one item.")
    subtotal = sum((line.amount for line in lines), Decimal(0))
    with transaction.atomic():
        invoice = Invoice.objects.create(
            number=new_invoice_number(),
            customer=customer,
            subscription=subscription,
            period_start=period_start,
            period_end=period_end,
            currency=currency,
            subtotal=subtotal,
            tax=tax,
            total=subtotal + tax,
            due_at=due_at,
            notes=notes,
        )
        for line in lines:
            line.invoice = invoice
        InvoiceItem.objects.bulk_create(lines)
        return invoice


def _locked_invoice(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def mark_invoice_overdue(*, invoice: Invoice) -> Invoice:
    with transaction.atomic():
        locked = _locked_invoice(invoice)
        _transition(locked, "mark_overdue")
        locked.save()
        return locked


def cancel_invoice(*, invoice: Invoice, reason: str = "") -> Invoice:
    with transaction.atomic():
        locked = _locked_invoice(invoice)
        if locked.payments.filter(status=PaymentStatus.PENDING).exists():
            raise InvalidState("The invoice has a pending payment; settle or cancel it first.")
        _transition(locked, "cancel")
        if reason:
            locked.notes = f"{locked.notes}\nCancelled: {reason}".strip()
        locked.save()
        return locked


# --- payments -------------------------------------------------------------------------


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
        _transition(locked, "complete", transfer=transfer)
        locked.save()
        if invoice is not None:
            _transition(invoice, "mark_paid")
            invoice.save()
        return locked


def fail_payment(*, payment: Payment, reason: str = "") -> Payment:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        _transition(locked, "fail", reason=reason[:255])
        locked.save()
        return locked


def cancel_payment(*, payment: Payment) -> Payment:
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        _transition(locked, "cancel")
        locked.save()
        return locked


# --- withdrawals ----------------------------------------------------------------------


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
        _transition(locked, "start_processing")
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
        _transition(locked, "fail", reason=reason[:255], release_transfer=_release(locked, by=by, why="failed"))
        locked.save()
        return locked


def cancel_withdrawal(*, withdrawal: Withdrawal, by=None) -> Withdrawal:
    """The customer (or staff) withdraws a pending request: the held amount goes back."""
    with transaction.atomic():
        locked = _locked_withdrawal(withdrawal)
        if locked.status != WithdrawalStatus.PENDING:
            raise InvalidState(f"A {locked.status} withdrawal cannot be cancelled.", details={"status": locked.status})
        _transition(locked, "cancel", release_transfer=_release(locked, by=by, why="cancelled"))
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
        _transition(locked, "complete", payout_transfer=payout)
        locked.save()
        return locked


# --- auto top-up ----------------------------------------------------------------------


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
