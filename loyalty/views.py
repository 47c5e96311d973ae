"""The player's loyalty page: tier and progress, balances, bonuses with wagering, history, redemption."""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.selectors import customer_of
from loyalty import services
from loyalty.selectors import loyalty_overview
from loyalty.services.points import REDEEM_TARGETS
from nodebyte_platform.errors import DomainError


class RedeemForm(forms.Form):
    target = forms.ChoiceField(choices=[(t, t) for t in REDEEM_TARGETS], label="Convert into")
    lp_amount = forms.DecimalField(label="LP to redeem", min_value=0, max_digits=20, decimal_places=2)
    key = forms.CharField(widget=forms.HiddenInput)


@login_required
def loyalty(request):
    customer = customer_of(request.user)
    if customer is None:
        messages.warning(request, "The loyalty programme is for players.")
        return redirect("portal:home")
    context = {
        "customer": customer,
        **loyalty_overview(customer=customer),
        "form": RedeemForm(initial={"key": uuid.uuid4().hex, "target": "RP"}),
    }
    return render(request, "loyalty/loyalty.html", context)


@login_required
@require_POST
def redeem(request):
    """Redeem LP through loyalty.services.redeem_points; the form's key makes a double submit harmless."""
    customer = customer_of(request.user)
    form = RedeemForm(request.POST)
    if customer is None or not form.is_valid():
        messages.error(request, "Choose what to convert into and an amount of LP (validation_error).")
        return redirect("portal:loyalty")
    data = form.cleaned_data
    try:
        transfer = services.redeem_points(
            customer=customer, target=data["target"], lp_amount=data["lp_amount"], idempotency_key=data["key"]
        )
    except DomainError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
        return redirect("portal:loyalty")
    messages.success(request, transfer.description + ".")
    return redirect("portal:loyalty")
