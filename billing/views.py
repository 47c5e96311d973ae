"""The player's money pages (coin shop, top-up, payment results, history and receipts, cards,
auto top-up, withdrawals), the sandbox gateway's hosted page, and the providers' event endpoints.

Pages call billing.services; a refusal comes back as a message on the page, never a 500.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.selectors import customer_of
from billing import selectors, services
from billing.forms import AutoTopUpForm, SandboxCardForm, SandboxCheckoutForm, TopUpForm, WithdrawalForm
from billing.gateways import BadSignature, GatewayUnavailable, get_gateway, portal_gateway
from billing.gateways.sandbox import DECLINING_CARDS, SUCCESS_CARD
from billing.models import AutoTopUp, CoinPack, Payment, PaymentStatus, SandboxEvent, Withdrawal
from ledger.selectors import asset as asset_by_code
from ledger.selectors import balance_map
from nodebyte_platform.errors import DomainError

HISTORY_PAGE = 50


def player_page(view):
    """Signed-in players only; the view gets their Customer."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        customer = customer_of(request.user)
        if customer is None:
            raise Http404("Only players have a wallet.")
        return view(request, customer, *args, **kwargs)

    return wrapper


def _own_payment(customer, public_id) -> Payment:
    return get_object_or_404(
        Payment.objects.select_related("currency", "coin_pack", "transfer"), public_id=public_id, customer=customer
    )


def _result_urls(request) -> tuple[str, str]:
    # Stripe fills {CHECKOUT_SESSION_ID}; our result page finds the payment by its own id instead.
    base = request.build_absolute_uri(reverse("portal:payments"))
    return base + "?returned=1", base + "?cancelled=1"


def _to_checkout(request, start) -> HttpResponse:
    success_url, cancel_url = _result_urls(request)
    try:
        payment = start(success_url=success_url, cancel_url=cancel_url)
    except DomainError as exc:
        messages.error(request, exc.message)
        return None
    return redirect(payment.checkout_url or reverse("portal:payment", args=[payment.public_id]))


@player_page
def coin_shop(request, customer):
    gateway = portal_gateway()
    if request.method == "POST":
        pack = CoinPack.objects.filter(pk=request.POST.get("coin_pack") or 0, is_active=True).first()
        if pack is None:
            messages.error(request, "Choose a coin pack from the list.")
        else:
            response = _to_checkout(
                request,
                lambda **urls: services.buy_coin_pack(customer=customer, coin_pack=pack, gateway=gateway.name, **urls),
            )
            if response is not None:
                return response
    context = {
        "packs": list(selectors.coin_packs_on_sale()),
        "gateway": gateway,
        "gateway_enabled": gateway.is_enabled(),
        "coins": balance_map(user=request.user).get("COIN"),
    }
    return render(request, "billing/coin_shop.html", context)


@player_page
def top_up(request, customer):
    gateway = portal_gateway()
    form = TopUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        currency = asset_by_code(code=form.cleaned_data["currency"])
        response = _to_checkout(
            request,
            lambda **urls: services.start_topup(
                customer=customer, amount=form.cleaned_data["amount"], currency=currency, gateway=gateway.name, **urls
            ),
        )
        if response is not None:
            return response
    context = {"form": form, "gateway": gateway, "gateway_enabled": gateway.is_enabled()}
    return render(request, "billing/top_up.html", context)


def _result_of(payment: Payment) -> str:
    if payment.status == PaymentStatus.COMPLETED:
        return "success"
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        return "declined"
    return "pending"


@player_page
def payment_result(request, customer, public_id):
    """The result page: success, declined, or pending (which re-reads itself until the provider answers)."""
    payment = _own_payment(customer, public_id)
    context = {"payment": payment, "result": _result_of(payment)}
    if request.headers.get("HX-Request"):
        return render(request, "billing/_payment_result.html", context)
    return render(request, "billing/payment_result.html", context)


@player_page
def payments(request, customer):
    rows = list(selectors.payments_of(customer=customer)[:HISTORY_PAGE])
    if request.GET.get("returned") and rows:
        latest = rows[0]
        return redirect("portal:payment", latest.public_id)
    if request.GET.get("cancelled"):
        messages.warning(request, "You left the checkout before paying; nothing was charged.")
    return render(request, "billing/payments.html", {"payments": rows})


@player_page
def receipt(request, customer, public_id):
    payment = _own_payment(customer, public_id)
    if payment.status != PaymentStatus.COMPLETED:
        raise Http404("Only a completed payment has a receipt.")
    return render(request, "billing/receipt.html", {"payment": payment, "refunds": list(payment.refunds.all())})


@player_page
def sandbox_checkout(request, customer, public_id):
    """The sandbox gateway's hosted page: the player pays with a test card, or declines."""
    payment = _own_payment(customer, public_id)
    if payment.gateway != "sandbox":
        raise Http404("Not a sandbox payment.")
    answered = SandboxEvent.objects.filter(payment=payment).exists()
    form = SandboxCheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sandbox_decide(
                payment=payment,
                customer=customer,
                outcome=form.cleaned_data["outcome"],
                card_number=form.cleaned_data["card_number"],
                events_url=request.build_absolute_uri(reverse("sandbox-events")),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("portal:payment", payment.public_id)
    context = {
        "payment": payment,
        "form": form,
        "answered": answered or payment.status != PaymentStatus.PENDING,
        "success_card": SUCCESS_CARD,
        "declining_cards": DECLINING_CARDS,
    }
    return render(request, "billing/sandbox_checkout.html", context)


@player_page
def cards(request, customer):
    form = SandboxCardForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "stripe":
        success_url, cancel_url = (request.build_absolute_uri(reverse("portal:cards")),) * 2
        try:
            checkout = services.start_card_setup(customer=customer, success_url=success_url, cancel_url=cancel_url)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(checkout.redirect_url)
    elif request.method == "POST" and form.is_valid():
        try:
            services.add_sandbox_card(customer=customer, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Card saved.")
            return redirect("portal:cards")
    stripe = get_gateway("stripe")
    context = {
        "methods": list(selectors.saved_methods_of(customer=customer)),
        "form": form,
        "stripe": stripe,
        "sandbox": get_gateway("sandbox"),
    }
    return render(request, "billing/cards.html", context)


@require_POST
@player_page
def remove_card(request, customer, pk):
    method = get_object_or_404(customer.payment_methods, pk=pk)
    services.remove_method(customer=customer, method=method)
    messages.success(request, "Card removed.")
    return redirect("portal:cards")


@player_page
def auto_top_up(request, customer):
    setting = AutoTopUp.objects.filter(customer=customer).select_related("currency", "saved_method").first()
    methods = list(selectors.saved_methods_of(customer=customer))
    initial = {}
    if setting is not None:
        initial = {
            "enabled": setting.enabled,
            "currency": setting.currency.code,
            "threshold": setting.threshold,
            "amount": setting.amount,
            "low_balance_threshold": setting.low_balance_threshold,
            "saved_method": setting.saved_method_id,
        }
    form = AutoTopUpForm(request.POST or None, initial=initial, methods=methods)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = next((m for m in methods if m.pk == data["saved_method"]), None)
        try:
            services.configure_auto_topup(
                customer=customer,
                currency=asset_by_code(code=data["currency"]),
                enabled=data["enabled"],
                threshold=data["threshold"],
                amount=data["amount"],
                saved_method=chosen,
                low_balance_threshold=data["low_balance_threshold"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Auto top-up saved.")
            return redirect("portal:auto-top-up")
    return render(request, "billing/auto_top_up.html", {"form": form, "setting": setting, "methods": methods})


@player_page
def withdrawals(request, customer):
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            withdrawal = services.request_withdrawal(
                customer=customer,
                amount=data["amount"],
                currency=asset_by_code(code=data["currency"]),
                method=data["method"],
                bank_details={"iban": data["iban"], "account_holder": data["account_holder"]},
                paypal_email=data["paypal_email"],
                crypto_address=data["crypto_address"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Withdrawal requested: the amount is held until it is paid out.")
            return redirect("portal:withdrawal", withdrawal.public_id)
    context = {
        "form": form,
        "withdrawals": list(selectors.withdrawals_of(customer=customer)[:HISTORY_PAGE]),
        "balances": balance_map(user=request.user),
    }
    return render(request, "billing/withdrawals.html", context)


@player_page
def withdrawal(request, customer, public_id):
    found = get_object_or_404(Withdrawal.objects.select_related("currency"), public_id=public_id, customer=customer)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            services.cancel_withdrawal(withdrawal=found, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Withdrawal cancelled: the amount is back in your wallet.")
        return redirect("portal:withdrawal", found.public_id)
    steps = list(found.steps.all())
    return render(request, "billing/withdrawal.html", {"withdrawal": found, "steps": steps})


# --- the providers' event endpoints ---------------------------------------------------


def _event_endpoint(request, gateway: str) -> JsonResponse:
    try:
        receipt = services.receive_gateway_request(gateway=gateway, body=request.body, headers=request.headers)
    except BadSignature as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=400)
    except GatewayUnavailable as exc:
        return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=503)
    except (KeyError, TypeError, ValueError) as exc:
        return JsonResponse({"error": {"code": "bad_event", "message": f"Not an event: {exc}"}}, status=400)
    return JsonResponse(
        {"received": True, "duplicate": receipt.duplicate, "outcome": receipt.event.outcome}, status=200
    )


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """POST /webhooks/stripe/: Stripe's events, verified by Stripe-Signature (tolerance 300 s)."""
    return _event_endpoint(request, "stripe")


@csrf_exempt
@require_POST
def sandbox_events(request):
    """POST /webhooks/sandbox/: the sandbox gateway's events, verified by their Standard Webhooks signature."""
    return _event_endpoint(request, "sandbox")
