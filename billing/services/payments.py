"""Payments: created pending, settled in the ledger once, when the provider confirms them.

`complete_payment` is the settlement every confirmation goes through (a gateway event, a bank
transfer recorded and, above the threshold, approved by a second accounting user); no door
lets staff call it on a card payment. One transfer per payment, under the key
`payment:<public id>`, so a confirmation that arrives twice posts nothing twice.

A coin pack's transfer moves the price from the gateway to revenue and the pack's coins from
issuance to the player; a top-up moves the amount from the gateway to the player's fiat wallet;
a payment for an open invoice it covers also pays the invoice in the same transfer.
"""

from django.db import transaction

from billing import signals
from billing.errors import InvalidState, ValidationFailed
from billing.models import Invoice, InvoiceStatus, Payment, PaymentKind, PaymentMethod, PaymentStatus
from billing.services._common import (
    DEFAULT_GATEWAY,
    INITIATOR,
    _gateway_wallet,
    _locked_invoice,
    _require_fiat_or_coin,
)
from ledger import signals as ledger_signals
from ledger.models import Asset, SystemWallet, TransferKind
from ledger.selectors import asset as asset_by_code
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
    coin_pack=None,
    description: str = "",
    metadata: dict | None = None,
    expires_at=None,
    saved_method=None,
    recorded_by=None,
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
    coins = None
    wallet_asset = currency
    if coin_pack is not None:
        if type != PaymentKind.PAYMENT or coin_pack.currency_id != currency.pk or coin_pack.price != amount:
            raise ValidationFailed("A coin pack is paid at its own price, in its own currency.")
        coins = coin_pack.total_coins
        wallet_asset = asset_by_code(code="COIN")
    with transaction.atomic():
        return Payment.objects.create(
            customer=customer,
            wallet=user_wallet(user=customer.user, asset=wallet_asset),
            invoice=invoice,
            coin_pack=coin_pack,
            coins=coins,
            type=type,
            amount=amount,
            currency=currency,
            payment_method=payment_method,
            gateway=gateway,
            gateway_reference=gateway_reference,
            description=description,
            metadata=metadata or {},
            expires_at=expires_at,
            saved_method=saved_method,
            recorded_by=recorded_by,
        )


def locked_payment(payment: Payment) -> Payment:
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("currency", "customer__user", "invoice", "coin_pack")
        .get(pk=payment.pk)
    )


def _legs(locked: Payment, customer_wallet) -> tuple[str, list[Leg], Invoice | None]:
    asset = locked.currency
    gateway = _gateway_wallet(gateway=locked.gateway, asset=asset)
    if locked.type == PaymentKind.REFUND:
        return TransferKind.REFUND, [Leg(customer_wallet, -locked.amount), Leg(gateway, locked.amount)], None
    if locked.coins:
        coin = customer_wallet.asset
        revenue = system_wallet(code=SystemWallet.REVENUE, asset=asset)
        issuance = system_wallet(code=SystemWallet.ISSUANCE, asset=coin)
        legs = [
            Leg(gateway, -locked.amount),
            Leg(revenue, locked.amount),
            Leg(issuance, -locked.coins),
            Leg(customer_wallet, locked.coins),
        ]
        return TransferKind.PAYMENT, legs, None
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
    return kind, legs, invoice


def complete_payment(*, payment: Payment, by=None, provider_payment_id: str = "") -> Payment:
    """Settle a pending payment in the ledger; completing a completed payment returns it unchanged.

    Called on the provider's confirmation (billing.services.events) or a bank transfer's
    recording/approval (billing.services.bank), never from a staff click on a card payment.
    """
    with transaction.atomic():
        locked = locked_payment(payment)
        if locked.status == PaymentStatus.COMPLETED:
            return locked
        if locked.status != PaymentStatus.PENDING:
            raise InvalidState(f"A {locked.status} payment cannot be completed.", details={"status": locked.status})
        wallet_asset = asset_by_code(code="COIN") if locked.coins else locked.currency
        customer_wallet = locked.wallet or user_wallet(user=locked.customer.user, asset=wallet_asset)
        kind, legs, invoice = _legs(locked, customer_wallet)
        transfer = post_transfer(
            kind=kind,
            legs=legs,
            initiator=INITIATOR,
            idempotency_key=f"payment:{locked.public_id}",
            description=locked.description or f"{locked.get_type_display()} {locked.public_id}",
            reference=locked.gateway_reference[:100],
            metadata={
                "payment": str(locked.public_id),
                "invoice": invoice.number if invoice else None,
                "coin_pack": locked.coin_pack_id,
            },
            created_by=by,
        )
        locked.wallet = customer_wallet
        if provider_payment_id:
            locked.provider_payment_id = provider_payment_id
        transition(locked, "complete", error=InvalidState, transfer=transfer)
        locked.save()
        if invoice is not None:
            transition(invoice, "mark_paid", error=InvalidState)
            invoice.save()
        if locked.type != PaymentKind.REFUND:
            _announce_completed(locked, transfer=transfer, credited=customer_wallet)
        return locked


def _announce_completed(payment: Payment, *, transfer, credited) -> None:
    credited_amount = payment.coins if payment.coins else payment.amount
    ledger_signals.deposit_posted.emit(
        key=f"deposit:{transfer.public_id}",
        transfer_id=str(transfer.public_id),
        customer_id=payment.customer_id,
        asset=credited.asset.code,
        amount=str(credited_amount),
    )
    signals.payment_completed.emit(
        key=f"payment-completed:{payment.public_id}",
        customer_id=payment.customer_id,
        payment_id=str(payment.public_id),
        kind=payment.type,
        amount=str(payment.amount),
        currency=payment.currency.code,
        coins=str(payment.coins) if payment.coins else None,
    )


def fail_payment(*, payment: Payment, reason: str = "", provider_payment_id: str = "") -> Payment:
    """The provider declined the payment: nothing was posted, the player sees why."""
    with transaction.atomic():
        locked = locked_payment(payment)
        if locked.status == PaymentStatus.FAILED:
            return locked
        transition(locked, "fail", error=InvalidState, reason=reason[:255])
        if provider_payment_id:
            locked.provider_payment_id = provider_payment_id
        locked.save()
        signals.payment_failed.emit(
            key=f"payment-failed:{locked.public_id}",
            customer_id=locked.customer_id,
            payment_id=str(locked.public_id),
            amount=str(locked.amount),
            currency=locked.currency.code,
            reason=locked.failure_reason,
        )
        return locked


def cancel_payment(*, payment: Payment, reason: str = "") -> Payment:
    with transaction.atomic():
        locked = locked_payment(payment)
        transition(locked, "cancel", error=InvalidState, reason=reason[:255])
        locked.save()
        return locked
