"""The Stripe gateway without internet: the SDK's calls answered by a local server in Stripe's
response shapes (stripe.api_base pointed at it), webhooks signed with Stripe's own scheme."""

import json
import threading
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from billing import services
from billing.errors import RefundRefused
from billing.gateways import GatewayUnavailable, get_gateway
from billing.models import Dispute, DisputeStatus, GatewayEvent, Payment, PaymentStatus
from ledger.models import SystemWallet, Transfer, TransferKind, Wallet
from ledger.selectors import freeze_reason
from ledger.services import post_transfer, system_wallet, user_wallet
from ledger.services.transfers import Leg
from tests.billing.conftest import stripe_event, stripe_signature
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import CoinPackFactory, coin, eur

SESSION_ID = "cs_test_a1b2c3"
INTENT_ID = "pi_3PtestIntent"


def checkout_session(payment: Payment, **extra) -> dict:
    """A Checkout Session as Stripe's API returns it (trimmed to the fields Stripe always sends)."""
    return {
        "id": SESSION_ID,
        "object": "checkout.session",
        "amount_total": 499,
        "currency": "eur",
        "client_reference_id": str(payment.public_id) if payment else None,
        "customer": None,
        "expires_at": int(time.time()) + 3600,
        "livemode": False,
        "metadata": {"payment": str(payment.public_id)} if payment else {},
        "mode": "payment",
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        "success_url": "http://testserver/pay/payments/?returned=1",
        "url": f"https://checkout.stripe.com/c/pay/{SESSION_ID}",
        **extra,
    }


def start_stripe_checkout(stripe_api, customer, pack) -> Payment:
    """Open a checkout; the local server answers as Stripe does and keeps what the SDK sent."""
    sent = []

    def answer(request):
        from werkzeug import Response

        form = parse_qs(request.get_data(as_text=True))
        sent.append((form, dict(request.headers)))
        session = checkout_session(None)
        session.update(
            client_reference_id=form["client_reference_id"][0], metadata={"payment": form["metadata[payment]"][0]}
        )
        return Response(json.dumps(session), content_type="application/json")

    stripe_api.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_handler(answer)
    payment = services.buy_coin_pack(
        customer=customer,
        coin_pack=pack,
        gateway="stripe",
        success_url="http://testserver/ok",
        cancel_url="http://testserver/no",
    )
    ((form, headers),) = sent
    assert form["client_reference_id"] == [str(payment.public_id)]
    assert form["line_items[0][price_data][unit_amount]"] == [str(int(pack.price * 100))]
    assert form["line_items[0][price_data][currency]"] == ["eur"]
    assert form["payment_intent_data[metadata][payment]"] == [str(payment.public_id)]
    assert headers["Authorization"] == "Bearer sk_test_local"
    assert headers["Idempotency-Key"] == f"checkout:{payment.public_id}"
    return payment


def post_webhook(client, payload: str, signature: str | None):
    extra = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return client.post(reverse("stripe-webhook"), data=payload, content_type="application/json", **extra)


def completed_event(payment: Payment, event_id: str = "evt_1Completed") -> str:
    session = checkout_session(payment, payment_status="paid", status="complete", payment_intent=INTENT_ID)
    return stripe_event(event_id, "checkout.session.completed", session)


@pytest.mark.django_db
def test_stripe_is_off_without_its_keys_and_says_so(settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    gateway = get_gateway("stripe")
    assert not gateway.is_enabled()
    assert "STRIPE_SECRET_KEY" in gateway.disabled_reason()
    customer = CustomerFactory()
    with pytest.raises(GatewayUnavailable):
        services.buy_coin_pack(
            customer=customer,
            coin_pack=CoinPackFactory(),
            gateway="stripe",
            success_url="http://x/",
            cancel_url="http://x/",
        )
    # Nothing stays pending that nobody could pay.
    assert Payment.objects.get(customer=customer).status == PaymentStatus.FAILED
    response = post_webhook(Client(), stripe_event("evt_off", "checkout.session.completed", {}), "t=1,v1=00")
    assert response.status_code == 503


@pytest.mark.django_db
def test_checkout_opens_a_stripe_session_and_its_webhook_credits_once(stripe_api, client):
    customer = CustomerFactory()
    payment = start_stripe_checkout(stripe_api, customer, CoinPackFactory(price=Decimal("4.99")))
    assert payment.gateway_reference == SESSION_ID
    assert payment.checkout_url.startswith("https://checkout.stripe.com/")
    assert payment.status == PaymentStatus.PENDING

    payload = completed_event(payment)
    first = post_webhook(client, payload, stripe_signature(payload))
    replay = post_webhook(client, payload, stripe_signature(payload))
    assert first.status_code == replay.status_code == 200
    assert replay.json()["duplicate"] is True
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.COMPLETED and payment.provider_payment_id == INTENT_ID
    assert Wallet.objects.get(owner=customer.user, asset=coin()).balance == Decimal("550.00")
    assert GatewayEvent.objects.filter(gateway="stripe").count() == 1


@pytest.mark.django_db
def test_a_bad_signature_answers_400_and_stores_nothing(stripe_api, client):
    payload = stripe_event("evt_bad", "checkout.session.completed", {"object": "checkout.session"})
    assert post_webhook(client, payload, stripe_signature(payload, secret="whsec_someone_else")).status_code == 400
    assert post_webhook(client, payload, None).status_code == 400
    assert post_webhook(client, payload, "garbage").status_code == 400
    assert not GatewayEvent.objects.exists()


@pytest.mark.django_db
def test_a_stale_signature_answers_400(stripe_api, client):
    payload = stripe_event("evt_stale", "checkout.session.completed", {"object": "checkout.session"})
    stale = stripe_signature(payload, timestamp=int(time.time()) - 301)
    response = post_webhook(client, payload, stale)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_signature"
    fresh_enough = stripe_signature(payload, timestamp=int(time.time()) - 250)
    assert post_webhook(client, payload, fresh_enough).status_code == 200


@pytest.mark.django_db
def test_payment_failed_event_fails_the_payment(stripe_api, client):
    payment = start_stripe_checkout(stripe_api, CustomerFactory(), CoinPackFactory())
    intent = {
        "id": INTENT_ID,
        "object": "payment_intent",
        "amount": 499,
        "currency": "eur",
        "status": "requires_payment_method",
        "metadata": {"payment": str(payment.public_id)},
        "last_payment_error": {
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        },
    }
    payload = stripe_event("evt_failed", "payment_intent.payment_failed", intent)
    assert post_webhook(client, payload, stripe_signature(payload)).status_code == 200
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.FAILED and payment.failure_reason == "Your card was declined."
    assert not Transfer.objects.filter(idempotency_key=f"payment:{payment.public_id}").exists()


def _paid_stripe_payment(stripe_api, client) -> Payment:
    payment = start_stripe_checkout(stripe_api, CustomerFactory(), CoinPackFactory(price=Decimal("4.99")))
    payload = completed_event(payment)
    post_webhook(client, payload, stripe_signature(payload))
    payment = Payment.objects.get(pk=payment.pk)
    return payment


def _refund_answer(stripe_api, *, amount: int):
    stripe_api.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        {
            "id": "re_3Ptest",
            "object": "refund",
            "amount": amount,
            "currency": "eur",
            "payment_intent": INTENT_ID,
            "status": "succeeded",
            "metadata": {},
        }
    )


@pytest.mark.django_db
def test_a_partial_refund_after_a_partial_spend_takes_back_its_share_of_coins(stripe_api, client, accounting):
    payment = _paid_stripe_payment(stripe_api, client)
    player = payment.customer.user
    coins = user_wallet(user=player, asset=coin())
    # The player spends 200 of the 550 coins.
    post_transfer(
        kind=TransferKind.PURCHASE,
        legs=[
            Leg(coins, Decimal("-200.00")),
            Leg(system_wallet(code=SystemWallet.REVENUE, asset=coin()), Decimal("200.00")),
        ],
        initiator="system:test",
    )
    _refund_answer(stripe_api, amount=250)
    refund = services.refund_payment(payment=payment, amount="2.50", reason="Asked nicely", by=accounting)
    assert refund.status == PaymentStatus.COMPLETED and refund.gateway_reference == "re_3Ptest"
    # 2.50 of 4.99 is 275.55 of the 550 coins.
    assert Wallet.objects.get(pk=coins.pk).balance == Decimal("350.00") - Decimal("275.55")
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("2.50")

    # What is left (2.49 = 274.45 coins) is more than the 74.45 coins the player still has.
    with pytest.raises(RefundRefused) as refused:
        services.refund_payment(payment=payment, amount="2.49", reason="The rest", by=accounting)
    assert refused.value.code == "refund_refused"
    assert Wallet.objects.get(pk=coins.pk).balance == Decimal("74.45")
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("2.50")


@pytest.mark.django_db
def test_a_refund_is_decided_by_accounting_only(stripe_api, client, support_user):
    from billing.errors import NotAllowed

    payment = _paid_stripe_payment(stripe_api, client)
    with pytest.raises(NotAllowed):
        services.refund_payment(payment=payment, amount="1.00", reason="Because", by=support_user)
    with pytest.raises(NotAllowed):
        services.refund_payment(payment=payment, amount="1.00", reason="Because", by=payment.customer.user)


@pytest.mark.django_db
def test_a_refund_stripe_refuses_gives_the_coins_back(stripe_api, client, accounting):
    payment = _paid_stripe_payment(stripe_api, client)
    stripe_api.expect_oneshot_request("/v1/refunds", method="POST").respond_with_json(
        {
            "error": {
                "type": "invalid_request_error",
                "code": "charge_already_refunded",
                "message": "Charge ch_1 has already been refunded.",
            }
        },
        status=400,
    )
    with pytest.raises(RefundRefused) as refused:
        services.refund_payment(payment=payment, amount="4.99", reason="Duplicate", by=accounting)
    assert "already been refunded" in refused.value.message
    assert Wallet.objects.get(owner=payment.customer.user, asset=coin()).balance == Decimal("550.00")
    assert Payment.objects.get(pk=payment.pk).refunded_amount == 0


@pytest.mark.django_db
def test_charge_refunded_event_records_a_dashboard_refund_once(stripe_api, client):
    payment = _paid_stripe_payment(stripe_api, client)
    charge = {
        "id": "ch_3Ptest",
        "object": "charge",
        "payment_intent": INTENT_ID,
        "amount": 499,
        "amount_refunded": 499,
        "refunded": True,
    }
    payload = stripe_event("evt_refunded", "charge.refunded", charge)
    post_webhook(client, payload, stripe_signature(payload))
    again = stripe_event("evt_refunded_2", "charge.refunded", charge)
    post_webhook(client, again, stripe_signature(again))
    assert Payment.objects.get(pk=payment.pk).refunded_amount == Decimal("4.99")
    assert Wallet.objects.get(owner=payment.customer.user, asset=coin()).balance == 0
    assert payment.refunds.count() == 1


def _dispute_event(payment, event_id="evt_dispute"):
    dispute = {
        "id": "dp_1Ptest",
        "object": "dispute",
        "amount": 499,
        "currency": "eur",
        "charge": "ch_3Ptest",
        "payment_intent": INTENT_ID,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    return stripe_event(event_id, "charge.dispute.created", dispute)


@pytest.mark.django_db
def test_a_dispute_reverses_what_the_payment_posted(stripe_api, client):
    payment = _paid_stripe_payment(stripe_api, client)
    payload = _dispute_event(payment)
    assert post_webhook(client, payload, stripe_signature(payload)).status_code == 200
    dispute = Dispute.objects.get(payment=payment)
    assert dispute.status == DisputeStatus.REVERSED
    assert Wallet.objects.get(owner=payment.customer.user, asset=coin()).balance == 0
    assert freeze_reason(user=payment.customer.user) is None


@pytest.mark.django_db
def test_a_dispute_after_the_coins_were_spent_freezes_the_wallet_and_opens_a_finding(stripe_api, client):
    payment = _paid_stripe_payment(stripe_api, client)
    coins = user_wallet(user=payment.customer.user, asset=coin())
    post_transfer(
        kind=TransferKind.PURCHASE,
        legs=[
            Leg(coins, Decimal("-500.00")),
            Leg(system_wallet(code=SystemWallet.REVENUE, asset=coin()), Decimal("500.00")),
        ],
        initiator="system:test",
    )
    payload = _dispute_event(payment)
    assert post_webhook(client, payload, stripe_signature(payload)).status_code == 200
    dispute = Dispute.objects.get(payment=payment)
    assert dispute.status == DisputeStatus.NEEDS_REVIEW
    assert freeze_reason(user=payment.customer.user)
    # Nothing was half-reversed: the 50 coins left are still there, frozen.
    assert Wallet.objects.get(pk=coins.pk).balance == Decimal("50.00")


@pytest.mark.django_db
def test_an_auto_top_up_charge_goes_to_stripe_off_session(stripe_api, client):
    from billing.models import SavedPaymentMethod

    customer = CustomerFactory()
    method = SavedPaymentMethod.objects.create(
        customer=customer, gateway="stripe", reference="pm_1Ptest", gateway_customer_id="cus_Ptest", last4="4242"
    )
    payment = services.create_payment(
        customer=customer, amount="25.00", currency=eur(), type="topup", gateway="stripe", saved_method=method
    )

    def answer(request):
        from werkzeug import Response

        sent = parse_qs(request.get_data(as_text=True))
        assert sent["off_session"] == ["true"] and sent["confirm"] == ["true"]
        assert sent["payment_method"] == ["pm_1Ptest"] and sent["customer"] == ["cus_Ptest"]
        assert sent["amount"] == ["2500"]
        body = {
            "id": "pi_auto",
            "object": "payment_intent",
            "amount": 2500,
            "currency": "eur",
            "status": "succeeded",
            "metadata": {},
        }
        return Response(json.dumps(body), content_type="application/json")

    stripe_api.expect_oneshot_request("/v1/payment_intents", method="POST").respond_with_handler(answer)
    done = services.charge_auto_topup(payment=payment)
    assert done.status == PaymentStatus.COMPLETED and done.provider_payment_id == "pi_auto"
    assert Wallet.objects.get(owner=customer.user, asset=eur()).balance == Decimal("25.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_twice_at_the_same_moment_credits_once(stripe_api):
    payment = start_stripe_checkout(stripe_api, CustomerFactory(), CoinPackFactory(price=Decimal("4.99")))
    payload = completed_event(payment, event_id="evt_concurrent")
    barrier, answers = threading.Barrier(2), []

    def deliver():
        try:
            barrier.wait()
            answers.append(post_webhook(Client(), payload, stripe_signature(payload)))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 200]
    assert sorted(a.json()["duplicate"] for a in answers) == [False, True]
    assert GatewayEvent.objects.filter(event_id="evt_concurrent").count() == 1
    assert Transfer.objects.filter(idempotency_key=f"payment:{payment.public_id}").count() == 1
    assert Wallet.objects.get(owner=payment.customer.user, asset=coin()).balance == Decimal("550.00")


@pytest.mark.django_db
def test_saving_a_card_goes_through_a_setup_checkout_and_its_setup_intent(stripe_api, client):
    from billing.models import SavedPaymentMethod

    customer = CustomerFactory()
    stripe_api.expect_oneshot_request("/v1/customers", method="POST").respond_with_json(
        {"id": "cus_Ptest", "object": "customer", "email": customer.user.email, "metadata": {}}
    )
    stripe_api.expect_oneshot_request("/v1/checkout/sessions", method="POST").respond_with_json(
        checkout_session(
            None, id="cs_setup", mode="setup", customer="cus_Ptest", url="https://checkout.stripe.com/c/setup"
        )
    )
    checkout = services.start_card_setup(
        customer=customer, success_url="http://testserver/", cancel_url="http://testserver/"
    )
    assert checkout.redirect_url == "https://checkout.stripe.com/c/setup"

    stripe_api.expect_oneshot_request("/v1/setup_intents/seti_1Ptest", method="GET").respond_with_json(
        {
            "id": "seti_1Ptest",
            "object": "setup_intent",
            "customer": "cus_Ptest",
            "status": "succeeded",
            "payment_method": {
                "id": "pm_1Psaved",
                "object": "payment_method",
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
            },
        }
    )
    session = checkout_session(
        None, id="cs_setup", mode="setup", status="complete", setup_intent="seti_1Ptest", customer="cus_Ptest"
    )
    session["client_reference_id"] = str(customer.player_id)
    payload = stripe_event("evt_setup", "checkout.session.completed", session)
    assert post_webhook(client, payload, stripe_signature(payload)).status_code == 200
    method = SavedPaymentMethod.objects.get(customer=customer)
    assert (method.reference, method.gateway_customer_id, method.last4) == ("pm_1Psaved", "cus_Ptest", "4242")
