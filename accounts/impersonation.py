"""Viewing the portal as a player, on django-hijack: with a reason, read-only, for minutes.

django-hijack swaps the session's user and keeps the staff member in `hijack_history`. Around
it: the start needs a reason and the `accounts.impersonate_customer` permission (admin and
support) and is recorded (accounts.services.impersonation); every request while it lasts is
checked by ImpersonationMiddleware, which refuses writes and ends the view when its time is up.
Only hijack's release view is mounted, never its plain acquire view, which takes no reason.
"""

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import defaults
from hijack.views import AcquireUserView, ReleaseUserView

from accounts import services
from accounts.errors import ImpersonationRefused
from accounts.models import Impersonation
from accounts.selectors import customer_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def may_impersonate(*, hijacker, hijacked) -> bool:
    """django-hijack's permission check (HIJACK_PERMISSION_CHECK)."""
    customer = customer_of(hijacked)
    return customer is not None and services.impersonation_refusal(staff=hijacker, customer=customer) is None


def _customer_page(customer_id) -> str:
    return reverse("admin:accounts_customer_change", args=[customer_id])


class StartImpersonationView(AcquireUserView):
    """hijack's acquire, behind the admin's "View as player" form (POST user_pk, reason, next)."""

    def post(self, request, *args, **kwargs):
        customer = customer_of(self.get_object())
        try:
            services.start_impersonation(staff=request.user, customer=customer, reason=request.POST.get("reason", ""))
        except ImpersonationRefused as exc:
            messages.error(request, f"{exc.message} ({exc.code})")
            return redirect(_customer_page(customer.pk))
        return super().post(request, *args, **kwargs)


class StopImpersonationView(ReleaseUserView):
    """hijack's release; the view's record is closed first, then the staff member is back in the admin."""

    def post(self, request, *args, **kwargs):
        impersonation = current_impersonation(request)
        if impersonation is not None:
            services.end_impersonation(impersonation=impersonation, ending=Impersonation.Ending.RELEASED)
            self.success_url = _customer_page(impersonation.customer_id)
        return super().post(request, *args, **kwargs)


def current_impersonation(request) -> Impersonation | None:
    """The open view this session is in, or None (not impersonating, or its record was closed)."""
    history = request.session.get("hijack_history") or []
    if not history:
        return None
    return (
        Impersonation.objects.select_related("customer")
        .filter(staff_id=history[-1], customer__user_id=request.user.pk, ended_at__isnull=True)
        .order_by("-started_at")
        .first()
    )


class ImpersonationMiddleware:
    """While a session views the portal as a player: only reads, only until the view's time is up.

    After django-hijack's middleware. A view whose record is gone or expired ends the session
    itself (the staff member signs in again), so nothing outlives its time limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.session.get("hijack_history"):
            return self.get_response(request)
        impersonation = current_impersonation(request)
        if impersonation is None or impersonation.expires_at <= timezone.now():
            if impersonation is not None:
                services.end_impersonation(impersonation=impersonation, ending=Impersonation.Ending.EXPIRED)
            logout(request)
            messages.warning(request, "Your view of the portal as a player has ended (time limit). Sign in again.")
            return redirect(reverse("admin:login"))
        if request.method not in SAFE_METHODS and request.path != reverse("impersonation-stop"):
            return defaults.permission_denied(
                request,
                PermissionDenied(
                    f"You are viewing the portal as {impersonation.customer}: read-only. Nothing was changed."
                ),
            )
        request.impersonation = impersonation
        return self.get_response(request)
