"""Staff viewing the portal as a player: who may, why, for how long, and its record."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import ImpersonationRefused
from accounts.models import Customer, Impersonation
from accounts.services.audit import record_audit

MIN_REASON_LENGTH = 10


def impersonation_minutes() -> int:
    return int(getattr(settings, "IMPERSONATION_MINUTES", 15))


def impersonation_refusal(*, staff, customer: Customer) -> str | None:
    """Why `staff` may not view the portal as `customer`, or None when they may."""
    if not (staff.is_active and staff.is_staff and staff.has_perm("accounts.impersonate_customer")):
        return "Your role may not view the portal as a player."
    if customer.user_id == staff.pk:
        return "You cannot view the portal as yourself."
    if customer.user.is_staff or customer.user.is_superuser:
        return "Staff accounts cannot be viewed as a player."
    if customer.erased_at is not None or customer.is_archived or not customer.user.is_active:
        return "This player is archived or erased."
    return None


def start_impersonation(*, staff, customer: Customer, reason: str) -> Impersonation:
    """Open a time-boxed, read-only view as `customer`; refused without a reason or the permission."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ImpersonationRefused(
            f"Say why you need to see the player's portal (at least {MIN_REASON_LENGTH} characters)."
        )
    refusal = impersonation_refusal(staff=staff, customer=customer)
    if refusal:
        raise ImpersonationRefused(refusal)
    now = timezone.now()
    with transaction.atomic():
        # One open view per staff member and player: a second start ends the first.
        for stale in Impersonation.objects.select_for_update().filter(staff=staff, ended_at__isnull=True):
            _end(stale, ending=Impersonation.Ending.RELEASED, now=now)
        impersonation = Impersonation.objects.create(
            staff=staff,
            customer=customer,
            reason=reason,
            started_at=now,
            expires_at=now + timedelta(minutes=impersonation_minutes()),
        )
        record_audit(
            actor=staff,
            action="action:impersonation_started",
            obj=customer,
            before=None,
            after={
                "reason": reason,
                "expires_at": impersonation.expires_at.isoformat(),
                "impersonation": impersonation.pk,
            },
        )
    return impersonation


def end_impersonation(*, impersonation: Impersonation, ending: str) -> Impersonation:
    """Close the view (idempotent: an ended one stays as it ended)."""
    with transaction.atomic():
        locked = Impersonation.objects.select_for_update().get(pk=impersonation.pk)
        if locked.ended_at is None:
            _end(locked, ending=ending, now=timezone.now())
    return locked


def end_expired_impersonations(*, now=None) -> int:
    """Close every view past its time whose staff member never came back (the browser closed)."""
    now = now or timezone.now()
    ended = 0
    with transaction.atomic():
        for impersonation in Impersonation.objects.select_for_update(skip_locked=True).filter(
            ended_at__isnull=True, expires_at__lte=now
        ):
            _end(impersonation, ending=Impersonation.Ending.EXPIRED, now=now)
            ended += 1
    return ended


def _end(impersonation: Impersonation, *, ending: str, now) -> None:
    impersonation.ended_at = min(now, impersonation.expires_at) if ending == Impersonation.Ending.EXPIRED else now
    impersonation.ending = ending
    impersonation.save(update_fields=["ended_at", "ending"])
    record_audit(
        actor=impersonation.staff,
        action="action:impersonation_ended",
        obj=impersonation.customer,
        before=None,
        after={"ending": ending, "ended_at": impersonation.ended_at.isoformat(), "impersonation": impersonation.pk},
    )
