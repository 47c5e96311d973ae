"""Withdrawals: validated, limited and held at request; approved by accounting (a second,
different accounting user above WITHDRAWAL_SECOND_APPROVAL_THRESHOLD or when flagged); paid out
through the gateway, whose answer completes or fails them.

Money path: requesting holds the amount (customer wallet -> `payouts`); failing or cancelling
releases it (`payouts` -> customer); the gateway's confirmation pays it out (`payouts` -> the
gateway). Every state change is a WithdrawalStep (the trail the player and staff read) and a
`withdrawal_changed` event.
"""

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from constance import config
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing import signals
from billing.errors import InvalidState, LimitExceeded, SelfApproval, ValidationFailed
from billing.models import Withdrawal, WithdrawalMethod, WithdrawalStatus, WithdrawalStep
from billing.services._common import (
    DEFAULT_GATEWAY,
    INITIATOR,
    _gateway_wallet,
    _require_fiat_or_coin,
    require_deciding_staff,
)
from ledger.models import Asset, AssetKind, Posting, SystemWallet, TransferKind, Wallet
from ledger.services import Leg, post_transfer, system_wallet, to_amount, user_wallet
from nodebyte_platform.fsm import transition

IBAN_LENGTHS = {"DE": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "BE": 16, "AT": 20, "GB": 22, "IE": 22, "PT": 25}
CRYPTO_PATTERNS = [
    re.compile(r"^bc1[ac-hj-np-z02-9]{11,71}$"),  # Bitcoin bech32 / bech32m
    re.compile(r"^[13][a-km-zA-HJ-NP-Z1-9]{25,34}$"),  # Bitcoin base58 (P2PKH, P2SH)
    re.compile(r"^0x[0-9a-fA-F]{40}$"),  # Ethereum and EVM chains
]
# Transfers into a player's wallets that make a following withdrawal worth a closer look.
REVIEW_KINDS = (
    TransferKind.DEPOSIT,
    TransferKind.TOPUP,
    TransferKind.PAYMENT,
    TransferKind.BONUS_ISSUED,
    TransferKind.REWARD,
)
WINDOWS = (("day", timedelta(days=1)), ("week", timedelta(days=7)), ("month", timedelta(days=30)))


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: country code, check digits, and the mod-97 checksum (known countries' lengths too)."""
    iban = re.sub(r"\s+", "", iban or "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _payout_details(method: str, *, bank_details, paypal_email: str, crypto_address: str) -> dict:
    if method not in WithdrawalMethod.values:
        raise ValidationFailed(f"Unknown withdrawal method {method!r}.", details={"field": "method"})
    if method == WithdrawalMethod.BANK:
        details = dict(bank_details or {})
        iban = re.sub(r"\s+", "", str(details.get("iban", ""))).upper()
        holder = str(details.get("account_holder", "")).strip()
        if not iban_is_valid(iban):
            raise ValidationFailed("That IBAN is not valid (check its length and digits).", details={"field": "iban"})
        if not holder:
            raise ValidationFailed("Give the account holder's name.", details={"field": "account_holder"})
        return {"bank_details": {"iban": iban, "account_holder": holder[:100]}}
    if method == WithdrawalMethod.PAYPAL:
        email = (paypal_email or "").strip()
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed("That PayPal email address is not valid.", details={"field": "paypal_email"})
        return {"paypal_email": email}
    address = (crypto_address or "").strip()
    if not any(pattern.match(address) for pattern in CRYPTO_PATTERNS):
        raise ValidationFailed(
            "That is not a Bitcoin (bc1..., 1..., 3...) or Ethereum (0x + 40 hex) address.",
            details={"field": "crypto_address"},
        )
    return {"crypto_address": address}


def _decimal_config(name: str, default: str) -> Decimal:
    try:
        return Decimal(str(getattr(config, name)))
    except (InvalidOperation, ValueError):
        return Decimal(default)


def withdrawal_limits(customer) -> dict[str, Decimal]:
    """The player's limits per rolling day, week and month: the standard ones, doubled (by
    default) for gold VIPs, halved for players without a VIP level."""
    factor = {"gold": "WITHDRAWAL_LIMIT_FACTOR_GOLD", "standard": None}.get(
        customer.vip or "", "WITHDRAWAL_LIMIT_FACTOR_NEW"
    )
    multiplier = _decimal_config(factor, "1") if factor else Decimal(1)
    return {window: _decimal_config(f"WITHDRAWAL_LIMIT_{window.upper()}", "0") * multiplier for window, _ in WINDOWS}


def _check_limits(customer, *, currency: Asset, amount: Decimal, now) -> None:
    limits = withdrawal_limits(customer)
    counted = Withdrawal.objects.filter(customer=customer, currency=currency).exclude(
        status__in=[WithdrawalStatus.FAILED, WithdrawalStatus.CANCELLED]
    )
    for window, span in WINDOWS:
        used = sum(counted.filter(created_at__gte=now - span).values_list("amount", flat=True), Decimal(0))
        if used + amount > limits[window]:
            raise LimitExceeded(
                f"This withdrawal would pass your {window}ly limit of {limits[window]:.2f} {currency.code} "
                f"({used:.2f} already requested).",
                details={"window": window, "limit": str(limits[window]), "used": str(used)},
            )


def _review_flag(customer, *, now) -> str:
    hours = int(config.WITHDRAWAL_REVIEW_HOURS)
    recent = (
        Posting.objects.filter(
            wallet__owner_id=customer.user_id,
            amount__gt=0,
            transfer__kind__in=REVIEW_KINDS,
            created_at__gte=now - timedelta(hours=hours),
        )
        .values_list("transfer__kind", flat=True)
        .first()
    )
    if recent is None:
        return ""
    what = "a bonus" if recent in (TransferKind.BONUS_ISSUED, TransferKind.REWARD) else "a deposit"
    return f"Requested within {hours} hours of {what}."


def _step(withdrawal: Withdrawal, step: str, *, actor=None, note: str = "") -> None:
    WithdrawalStep.objects.create(withdrawal=withdrawal, step=step, actor=actor, note=note[:255])
    signals.withdrawal_changed.emit(
        key=f"withdrawal:{withdrawal.public_id}:{step}",
        customer_id=withdrawal.customer_id,
        withdrawal_id=str(withdrawal.public_id),
        status=withdrawal.status,
        step=step,
        amount=str(withdrawal.amount),
        currency=withdrawal.currency.code,
    )


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

    Fails with `validation_error` (bad payout details), `limit_exceeded` (day, week or month) or
    `insufficient_funds`, writing nothing.
    """
    _require_fiat_or_coin(currency)
    if currency.kind != AssetKind.FIAT:
        raise ValidationFailed("Only fiat balances can be withdrawn.", details={"field": "currency"})
    amount = to_amount(amount, asset=currency)
    details = _payout_details(
        method, bank_details=bank_details, paypal_email=paypal_email, crypto_address=crypto_address
    )
    wallet = user_wallet(user=customer.user, asset=currency)
    with transaction.atomic():
        # Serialises this player's requests in this currency, so two at once cannot both pass the limits.
        Wallet.objects.select_for_update().filter(pk=wallet.pk).first()
        now = timezone.now()
        _check_limits(customer, currency=currency, amount=amount, now=now)
        flag = _review_flag(customer, now=now)
        withdrawal = Withdrawal.objects.create(
            customer=customer,
            amount=amount,
            currency=currency,
            method=method,
            flag_reason=flag,
            requires_second_approval=bool(flag)
            or amount > _decimal_config("WITHDRAWAL_SECOND_APPROVAL_THRESHOLD", "0"),
            **details,
        )
        withdrawal.hold_transfer = post_transfer(
            kind=TransferKind.WITHDRAWAL,
            legs=[Leg(wallet, -amount), Leg(system_wallet(code=SystemWallet.PAYOUTS, asset=currency), amount)],
            initiator=f"user:{customer.user_id}",
            idempotency_key=f"withdrawal-hold:{withdrawal.public_id}",
            description=f"Withdrawal {withdrawal.public_id} held",
            metadata={"withdrawal": str(withdrawal.public_id)},
        )
        withdrawal.save(update_fields=["hold_transfer"])
        _step(withdrawal, "requested", actor=customer.user, note=f"{amount} {currency.code} held")
        if flag:
            _step(withdrawal, "flagged", note=flag)
        return withdrawal


def _locked_withdrawal(withdrawal: Withdrawal) -> Withdrawal:
    return (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("currency", "customer__user")
        .get(pk=withdrawal.pk)
    )


def approve_withdrawal(*, withdrawal: Withdrawal, by) -> Withdrawal:
    """Accounting approves a pending withdrawal; once it has every approval it needs, it is sent to
    the gateway for payout. Nobody approves their own request, nor gives both approvals."""
    require_deciding_staff(by, doing="approve a withdrawal")
    with transaction.atomic():
        locked = _locked_withdrawal(withdrawal)
        if locked.status != WithdrawalStatus.PENDING:
            raise InvalidState(f"A {locked.status} withdrawal cannot be approved.", details={"status": locked.status})
        if locked.customer.user_id == by.pk:
            raise SelfApproval("Nobody approves their own withdrawal.")
        if locked.approved_by_id is None:
            locked.approved_by = by
            step = "approved"
        elif locked.approved_by_id == by.pk:
            raise SelfApproval("A second, different accounting user gives the second approval.")
        else:
            locked.second_approved_by = by
            step = "second approval"
        locked.save(update_fields=["approved_by", "second_approved_by"])
        _step(locked, step, actor=by)
        if locked.awaiting:
            return locked
        transition(locked, "start_processing", error=InvalidState)
        locked.save()
        _step(locked, "sent to payout", note=f"through the {locked.gateway} gateway")
        from billing.tasks import pay_out_withdrawal_task

        transaction.on_commit(lambda: pay_out_withdrawal_task.delay(locked.pk))
        return locked


def pay_out_withdrawal(*, withdrawal: Withdrawal) -> Withdrawal:
    """Ask the gateway to pay a processing withdrawal out; its answer completes or fails it (a
    pending answer leaves it processing for the retry job)."""
    from billing.gateways import GatewayFailed, GatewayUnavailable, get_gateway

    current = Withdrawal.objects.select_related("currency", "customer").get(pk=withdrawal.pk)
    if current.status != WithdrawalStatus.PROCESSING:
        return current
    try:
        result = get_gateway(current.gateway).pay_out(current)
    except GatewayUnavailable as exc:
        return fail_withdrawal(withdrawal=current, reason=exc.message)
    except GatewayFailed:
        return current  # not reachable now: the retry job asks again
    if result.status == "succeeded":
        return complete_withdrawal(withdrawal=current, gateway=current.gateway, reference=result.reference)
    if result.status == "failed":
        return fail_withdrawal(withdrawal=current, reason=result.message or "The payout failed.")
    return current


def start_withdrawal_processing(*, withdrawal: Withdrawal, by=None) -> Withdrawal:
    with transaction.atomic():
        locked = _locked_withdrawal(withdrawal)
        transition(locked, "start_processing", error=InvalidState)
        locked.save()
        _step(locked, "processing", actor=by)
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
    """A pending or processing withdrawal failed (or was rejected): the held amount goes back."""
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
        _step(locked, "failed", actor=by, note=f"{reason[:200]}; the amount is back in the wallet")
        return locked


def cancel_withdrawal(*, withdrawal: Withdrawal, by=None) -> Withdrawal:
    """The customer (or staff) withdraws a pending request: the held amount goes back."""
    with transaction.atomic():
        locked = _locked_withdrawal(withdrawal)
        if locked.status != WithdrawalStatus.PENDING:
            raise InvalidState(f"A {locked.status} withdrawal cannot be cancelled.", details={"status": locked.status})
        transition(locked, "cancel", error=InvalidState, release_transfer=_release(locked, by=by, why="cancelled"))
        locked.save()
        _step(locked, "cancelled", actor=by, note="the amount is back in the wallet")
        return locked


def complete_withdrawal(
    *, withdrawal: Withdrawal, by=None, gateway: str = DEFAULT_GATEWAY, reference: str = ""
) -> Withdrawal:
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
        locked.gateway_reference = reference or locked.gateway_reference
        locked.save()
        _step(locked, "paid out", actor=by, note=reference)
        return locked


def processing_withdrawals():
    return Withdrawal.objects.filter(Q(status=WithdrawalStatus.PROCESSING)).order_by("processed_at", "id")
