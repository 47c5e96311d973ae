"""Invoices: created with computed totals; overdue and cancelled through FSM transitions."""

import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.errors import InvalidState, ValidationFailed
from billing.models import Invoice, InvoiceItem, PaymentStatus
from billing.services._common import _locked_invoice, _require_fiat_or_coin
from ledger.models import Asset
from ledger.services import to_amount
from nodebyte_platform.fsm import transition


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


def mark_invoice_overdue(*, invoice: Invoice) -> Invoice:
    with transaction.atomic():
        locked = _locked_invoice(invoice)
        transition(locked, "mark_overdue", error=InvalidState)
        locked.save()
        return locked


def cancel_invoice(*, invoice: Invoice, reason: str = "") -> Invoice:
    with transaction.atomic():
        locked = _locked_invoice(invoice)
        if locked.payments.filter(status=PaymentStatus.PENDING).exists():
            raise InvalidState("The invoice has a pending payment; settle or cancel it first.")
        transition(locked, "cancel", error=InvalidState)
        if reason:
            locked.notes = f"{locked.notes}\nCancelled: {reason}".strip()
        locked.save()
        return locked
