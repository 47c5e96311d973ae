"""Tasks and jobs of billing: thin wrappers that load by id and call billing.services.

The tasks are queued on commit by the services (a sandbox event to deliver, an approved
withdrawal to pay out, an auto top-up to charge); the jobs, run by beat through the job runner,
pick up whatever those left undone.
"""

import logging
import time
from datetime import timedelta

import httpx
from celery import shared_task
from django.utils import timezone

from billing.errors import BillingError
from billing.gateways import GatewayFailed, GatewayUnavailable, get_gateway
from billing.models import AutoTopUp, Payment, PaymentStatus, SandboxEvent, Withdrawal, WithdrawalStatus
from billing.services import autotopup, events, withdrawals
from billing.services.checkout import mark_sandbox_delivery, signed_sandbox_request
from billing.services.payments import cancel_payment
from nodebyte_platform.jobs import JobContext, job

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_SECONDS = 5
DELIVERY_ATTEMPTS = 3
# A sandbox event not delivered within this long is given up by the retry job (and shown in admin).
DELIVERY_GIVE_UP_AFTER = timedelta(days=1)


def deliver_sandbox_event(event: SandboxEvent) -> str:
    """Deliver one sandbox event to our event endpoint: over HTTP to its target URL (retried with
    backoff), or, with no URL (a job's charge), to the endpoint's own code in-process."""
    body, headers = signed_sandbox_request(event)
    if not event.target_url:
        try:
            events.receive_gateway_request(gateway="sandbox", body=body, headers=headers)
        except BillingError as exc:
            mark_sandbox_delivery(event=event, error=f"{exc.code}: {exc.message}")
            return "refused"
        mark_sandbox_delivery(event=event)
        return "delivered"
    error = ""
    for attempt in range(DELIVERY_ATTEMPTS):
        try:
            response = httpx.post(event.target_url, content=body, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS)
        except httpx.HTTPError as exc:
            error = f"not reachable: {exc.__class__.__name__}: {exc}"
        else:
            if response.status_code == 200:
                mark_sandbox_delivery(event=event)
                return "delivered"
            error = f"answered {response.status_code}: {response.text[:150]}"
            if response.status_code < 500:
                break  # the endpoint refused it; trying again changes nothing
        time.sleep(0.2 * 2**attempt)
    mark_sandbox_delivery(event=event, error=error)
    logger.warning("sandbox event %s not delivered: %s", event.event_id, error)
    return "not delivered"


@shared_task(name="billing.deliver_sandbox_event")
def deliver_sandbox_event_task(event_id: int) -> str:
    event = SandboxEvent.objects.filter(pk=event_id, delivered_at__isnull=True).first()
    return deliver_sandbox_event(event) if event else "delivered already"


@shared_task(name="billing.pay_out_withdrawal")
def pay_out_withdrawal_task(withdrawal_id: int) -> str:
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if withdrawal is None:
        return "missing"
    return withdrawals.pay_out_withdrawal(withdrawal=withdrawal).status


@shared_task(name="billing.charge_auto_topup")
def charge_auto_topup_task(payment_id: int) -> str:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None:
        return "missing"
    return autotopup.charge_auto_topup(payment=payment).status


@job("billing.expire_checkouts")
def expire_checkouts(ctx: JobContext) -> dict:
    """Cancel checkouts left unpaid past their expiry (closing them at the provider first)."""
    due = Payment.objects.filter(status=PaymentStatus.PENDING, expires_at__lt=timezone.now(), saved_method=None)
    cancelled = 0
    for payment in due.order_by("expires_at")[:500]:
        try:
            if not ctx.dry_run and payment.gateway_reference:
                get_gateway(payment.gateway).expire_checkout(payment)
            cancel_payment(payment=payment, reason="The checkout expired unpaid.")
            cancelled += 1
            ctx.processed()
        except (GatewayFailed, GatewayUnavailable, BillingError) as exc:
            ctx.item_failed(exc, item=str(payment.public_id))
    return {"cancelled": cancelled}


@job("billing.retry_payouts")
def retry_payouts(ctx: JobContext) -> dict:
    """Ask the gateway again about withdrawals still processing, and deliver owed sandbox events."""
    outcomes = {"completed": 0, "failed": 0, "processing": 0, "events_delivered": 0}
    for withdrawal in Withdrawal.objects.filter(status=WithdrawalStatus.PROCESSING).order_by("processed_at")[:200]:
        if ctx.dry_run:
            ctx.processed()
            continue
        try:
            status = withdrawals.pay_out_withdrawal(withdrawal=withdrawal).status
            outcomes[status] = outcomes.get(status, 0) + 1
            ctx.processed()
        except BillingError as exc:
            ctx.item_failed(exc, item=str(withdrawal.public_id))
    owed = SandboxEvent.objects.filter(
        delivered_at__isnull=True, created_at__gte=timezone.now() - DELIVERY_GIVE_UP_AFTER
    ).order_by("created_at")
    for event in owed[:200]:
        if not ctx.dry_run and deliver_sandbox_event(event) == "delivered":
            outcomes["events_delivered"] += 1
        ctx.processed()
    return outcomes


@job("billing.run_auto_topups")
def run_auto_topups(ctx: JobContext) -> dict:
    """Charge the saved card of players under their auto top-up threshold (once per crossing),
    and emit low-balance notices."""
    started = 0
    settings_ = AutoTopUp.objects.filter(enabled=True) | AutoTopUp.objects.filter(low_balance_threshold__isnull=False)
    for setting in settings_.order_by("pk")[:5000]:
        try:
            if autotopup.check_auto_topup(setting=setting) is not None:
                started += 1
            ctx.processed()
        except BillingError as exc:
            ctx.item_failed(exc, item=setting.pk)
    return {"charges_started": started}
