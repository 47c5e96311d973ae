"""Auto top-up: when a wallet falls under the player's threshold, charge the saved card once.

`check_auto_topup` runs for each enabled setting (the job `billing.run_auto_topups`, every
minute) under a lock on the setting's row: a crossing charges once (the setting is disarmed
until the balance is back at the threshold), at most one charge is in flight, and the day's
charges stay under AUTO_TOPUP_DAILY_CAP. The charge's outcome arrives as the provider's event;
AUTO_TOPUP_MAX_FAILURES failures in a row switch the setting off with a notice. The same pass
emits `balance_low` once per fall under the player's low-balance threshold.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from constance import config
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing import signals
from billing.errors import ValidationFailed
from billing.gateways import GatewayFailed, GatewayUnavailable, get_gateway
from billing.gateways import sandbox as sandbox_gateway
from billing.models import AutoTopUp, Payment, PaymentKind, PaymentStatus, SavedPaymentMethod
from billing.services._common import _require_fiat_or_coin
from billing.services.payments import complete_payment, create_payment, fail_payment
from ledger.models import Asset, AssetKind
from ledger.services import to_amount, user_wallet


def configure_auto_topup(
    *,
    customer,
    currency: Asset,
    enabled: bool,
    threshold,
    amount,
    payment_method_id: str = "",
    saved_method: SavedPaymentMethod | None = None,
    low_balance_threshold=None,
) -> AutoTopUp:
    _require_fiat_or_coin(currency)
    if currency.kind != AssetKind.FIAT:
        raise ValidationFailed("Auto top-up refills a fiat wallet.", details={"field": "currency"})
    threshold = to_amount(threshold, asset=currency, positive=False)
    if threshold < 0:
        raise ValidationFailed("The threshold cannot be negative.", details={"field": "threshold"})
    amount = to_amount(amount, asset=currency)
    if low_balance_threshold not in (None, ""):
        low_balance_threshold = to_amount(low_balance_threshold, asset=currency, positive=False)
        if low_balance_threshold < 0:
            raise ValidationFailed("The low-balance threshold cannot be negative.", details={"field": "low_balance"})
    else:
        low_balance_threshold = None
    if saved_method is not None and (saved_method.customer_id != customer.pk or not saved_method.is_active):
        raise ValidationFailed("Choose one of your saved cards.", details={"field": "saved_method"})
    if enabled and saved_method is None and not payment_method_id:
        raise ValidationFailed("Auto top-up needs a saved card to charge.", details={"field": "saved_method"})
    with transaction.atomic():
        setting, _ = AutoTopUp.objects.update_or_create(
            customer=customer,
            defaults={
                "currency": currency,
                "enabled": enabled,
                "threshold": threshold,
                "amount": amount,
                "payment_method_id": saved_method.reference if saved_method else payment_method_id,
                "saved_method": saved_method,
                "low_balance_threshold": low_balance_threshold,
                "failures": 0,
                "disabled_reason": "",
            },
        )
        return setting


def _daily_cap() -> Decimal:
    try:
        return Decimal(str(config.AUTO_TOPUP_DAILY_CAP))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def check_auto_topup(*, setting: AutoTopUp) -> Payment | None:
    """One look at a player's balance: charge (once per crossing), re-arm, or notify. Returns the
    charge it started, if any."""
    with transaction.atomic():
        locked = (
            AutoTopUp.objects.select_for_update(of=("self",))
            .select_related("customer__user", "currency", "saved_method")
            .get(pk=setting.pk)
        )
        balance = user_wallet(user=locked.customer.user, asset=locked.currency).balance
        _low_balance_notice(locked, balance=balance)
        if balance >= locked.threshold:
            if not locked.armed:
                locked.armed = True
                locked.save(update_fields=["armed", "updated_at"])
            return None
        method = locked.saved_method
        if not (locked.enabled and locked.armed and locked.in_flight_id is None and method and method.is_active):
            return None
        since = timezone.now() - timedelta(days=1)
        charged = Payment.objects.filter(
            customer=locked.customer, saved_method__isnull=False, created_at__gte=since
        ).exclude(status__in=[PaymentStatus.FAILED, PaymentStatus.CANCELLED])
        today = charged.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        if today + locked.amount > _daily_cap():
            return None
        payment = create_payment(
            customer=locked.customer,
            amount=locked.amount,
            currency=locked.currency,
            type=PaymentKind.TOPUP,
            gateway=method.gateway,
            saved_method=method,
            description=f"Auto top-up {locked.amount} {locked.currency.code}",
        )
        locked.armed = False
        locked.in_flight = payment
        locked.last_triggered_at = timezone.now()
        locked.save(update_fields=["armed", "in_flight", "last_triggered_at", "updated_at"])
        from billing.tasks import charge_auto_topup_task

        transaction.on_commit(lambda: charge_auto_topup_task.delay(payment.pk))
        return payment


def _low_balance_notice(locked: AutoTopUp, *, balance: Decimal) -> None:
    limit = locked.low_balance_threshold
    if limit is None:
        return
    if balance >= limit:
        if locked.low_balance_notified:
            locked.low_balance_notified = False
            locked.save(update_fields=["low_balance_notified", "updated_at"])
        return
    if locked.low_balance_notified:
        return
    locked.low_balance_notified = True
    locked.save(update_fields=["low_balance_notified", "updated_at"])
    signals.balance_low.emit(
        key=f"balance-low:{locked.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
        customer_id=locked.customer_id,
        asset=locked.currency.code,
        balance=locked.currency.format_amount(balance),
        threshold=locked.currency.format_amount(limit),
    )


def charge_auto_topup(*, payment: Payment) -> Payment:
    """Charge the saved card of an auto top-up payment; its outcome comes back as an event."""
    current = Payment.objects.select_related("saved_method", "currency").get(pk=payment.pk)
    if current.status != PaymentStatus.PENDING or current.provider_payment_id:
        return current
    method = current.saved_method
    try:
        result = get_gateway(current.gateway).charge_saved_method(current, method=method)
    except (GatewayFailed, GatewayUnavailable) as exc:
        failed = fail_payment(payment=current, reason=exc.message)
        record_charge_outcome(payment=failed, succeeded=False, reason=exc.message)
        return failed
    if current.gateway == "sandbox":
        from billing.services.checkout import queue_sandbox_charge_outcome

        declined = sandbox_gateway.DECLINING_CARDS.get(method.gateway_customer_id)
        with transaction.atomic():
            Payment.objects.filter(pk=current.pk).update(provider_payment_id=result.reference)
            queue_sandbox_charge_outcome(payment=current, intent_id=result.reference, declined=declined, events_url="")
        return current
    if result.status == "succeeded":
        done = complete_payment(payment=current, provider_payment_id=result.reference)
        record_charge_outcome(payment=done, succeeded=True, reason="")
        return done
    if result.status == "failed":
        failed = fail_payment(payment=current, reason=result.message, provider_payment_id=result.reference)
        record_charge_outcome(payment=failed, succeeded=False, reason=result.message)
        return failed
    Payment.objects.filter(pk=current.pk).update(provider_payment_id=result.reference)
    return current


def record_charge_outcome(*, payment: Payment, succeeded: bool, reason: str) -> AutoTopUp | None:
    with transaction.atomic():
        setting = AutoTopUp.objects.select_for_update().filter(customer_id=payment.customer_id).first()
        if setting is None or setting.in_flight_id != payment.pk:
            return setting  # not this setting's charge, or its outcome was counted already
        setting.in_flight = None
        if succeeded:
            setting.failures = 0
        else:
            setting.failures += 1
            disabled = setting.failures >= int(config.AUTO_TOPUP_MAX_FAILURES)
            if disabled:
                setting.enabled = False
                setting.disabled_reason = f"Switched off after {setting.failures} failed charges: {reason}"[:255]
            else:
                setting.armed = True  # try again on the next pass
            signals.auto_topup_failed.emit(
                key=f"auto-topup-failed:{payment.public_id}",
                customer_id=payment.customer_id,
                payment_id=str(payment.public_id),
                reason=reason,
                failures=setting.failures,
                disabled=disabled,
            )
        setting.save()
        return setting
