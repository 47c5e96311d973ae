"""Buying coins and topping up through the sandbox gateway, end to end through the doors: the
portal starts the checkout, the hosted page's choice becomes a signed event, and only that
event (posted to /webhooks/sandbox/, as the sandbox delivers it) settles the payment."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.gateways import sandbox as sandbox_gateway
from billing.models import GatewayEvent, Payment, PaymentStatus, SandboxEvent
from ledger.models import Posting, SystemWallet, Transfer, TransferKind, Wallet, amount_sum
from ledger.services import system_wallet
from nodebyte_platform.models import Reaction
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import CoinPackFactory, coin, eur

pytestmark = pytest.mark.django_db


@pytest.fixture
def player(client):
    customer = CustomerFactory()
    client.force_login(customer.user)
    return customer


@pytest.fixture
def unreachable_events(settings):
    """The sandbox delivers to a URL nothing listens on: the test client is no server, so each
    test posts the stored event itself, as the sandbox would have."""
    settings.SANDBOX_EVENTS_URL = "http://127.0.0.1:9/webhooks/sandbox/"


def deliver(client, event: SandboxEvent):
    body, headers = event.body, sandbox_gateway.sign(event_id=event.event_id, body=event.body)
    extra = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items() if name != "content-type"
    }
    return client.post(reverse("sandbox-events"), data=body, content_type="application/json", **extra)


def buy(client, pack) -> Payment:
    response = client.post(reverse("portal:coin-shop"), {"coin_pack": pack.pk})
    payment = Payment.objects.filter(coin_pack=pack).latest("created_at")
    assert response.status_code == 302 and response["Location"] == reverse(
        "portal:sandbox-checkout", args=[payment.public_id]
    )
    return payment


def coins_of(customer) -> Decimal:
    return Wallet.objects.get(owner=customer.user, asset=coin()).balance


def test_buying_a_pack_credits_coins_only_once_the_signed_event_arrives(client, player, unreachable_events, committed):
    pack = CoinPackFactory(price=Decimal("4.99"), coins=Decimal("500.00"), bonus_coins=Decimal("50.00"))
    payment = buy(client, pack)
    assert client.get(reverse("portal:sandbox-checkout", args=[payment.public_id])).status_code == 200

    with committed(execute=True):
        response = client.post(
            reverse("portal:sandbox-checkout", args=[payment.public_id]),
            {"outcome": "pay", "card_number": "4242 4242 4242 4242"},
        )
    assert response.status_code == 302
    event = SandboxEvent.objects.get(payment=payment)
    # The hosted page settled nothing: the delivery failed (no server) and the payment waits.
    assert event.delivered_at is None and "not reachable" in event.last_error
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    assert coins_of(player) == 0
    page = client.get(reverse("portal:payment", args=[payment.public_id]))
    assert b'data-result="pending"' in page.content

    answer = deliver(client, event)
    assert answer.status_code == 200 and answer.json()["duplicate"] is False
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.COMPLETED
    assert coins_of(player) == Decimal("550.00")
    transfer = Transfer.objects.get(payment=payment)
    assert transfer.kind == TransferKind.PAYMENT
    legs = {
        (p.wallet.system_code or "player", p.wallet.asset.code): p.amount
        for p in transfer.postings.select_related("wallet__asset")
    }
    assert legs == {
        ("gateway:sandbox", "EUR"): Decimal("-4.99"),
        ("revenue", "EUR"): Decimal("4.99"),
        ("issuance", "COIN"): Decimal("-550.00"),
        ("player", "COIN"): Decimal("550.00"),
    }
    page = client.get(reverse("portal:payment", args=[payment.public_id]))
    assert b'data-result="success"' in page.content
    assert client.get(reverse("portal:receipt", args=[payment.public_id])).status_code == 200


def test_the_same_event_delivered_again_changes_nothing(client, player, unreachable_events):
    payment = buy(client, CoinPackFactory())
    client.post(
        reverse("portal:sandbox-checkout", args=[payment.public_id]),
        {"outcome": "pay", "card_number": "4242424242424242"},
    )
    event = SandboxEvent.objects.get(payment=payment)
    assert deliver(client, event).json()["duplicate"] is False
    again = deliver(client, event)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert GatewayEvent.objects.filter(event_id=event.event_id).count() == 1
    assert Transfer.objects.filter(idempotency_key=f"payment:{payment.public_id}").count() == 1
    assert coins_of(player) == Decimal("550.00")


def test_a_completed_payment_emits_deposit_posted_and_payment_completed_once(client, player, unreachable_events):
    from billing import signals
    from ledger import signals as ledger_signals

    ledger_signals.deposit_posted.reaction("tests.count_deposit")(lambda payload: None)
    signals.payment_completed.reaction("tests.count_payment")(lambda payload: None)
    try:
        payment = buy(client, CoinPackFactory())
        url = reverse("portal:sandbox-checkout", args=[payment.public_id])
        client.post(url, {"outcome": "pay", "card_number": "4242424242424242"})
        event = SandboxEvent.objects.get(payment=payment)
        deliver(client, event)
        deliver(client, event)
        deposit = Reaction.objects.get(reaction="tests.count_deposit")
        completed = Reaction.objects.get(reaction="tests.count_payment")
    finally:
        ledger_signals.deposit_posted.reactions.pop("tests.count_deposit", None)
        signals.payment_completed.reactions.pop("tests.count_payment", None)
    assert deposit.payload["customer_id"] == player.pk
    assert deposit.payload["asset"] == "COIN" and deposit.payload["amount"] == "550.0000"
    assert completed.payload["payment_id"] == str(payment.public_id) and completed.payload["amount"] == "4.9900"


def test_a_declining_test_card_fails_the_payment_and_posts_nothing(client, player, unreachable_events):
    payment = buy(client, CoinPackFactory())
    client.post(
        reverse("portal:sandbox-checkout", args=[payment.public_id]),
        {"outcome": "pay", "card_number": "4000 0000 0000 9995"},
    )
    deliver(client, SandboxEvent.objects.get(payment=payment))
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "Your card has insufficient funds."
    assert (
        payment.transfer is None
        and not Transfer.objects.filter(idempotency_key=f"payment:{payment.public_id}").exists()
    )
    page = client.get(reverse("portal:payment", args=[payment.public_id]))
    assert b'data-result="declined"' in page.content and b"insufficient funds" in page.content


def test_declining_on_the_hosted_page_fails_the_payment(client, player, unreachable_events):
    payment = buy(client, CoinPackFactory())
    client.post(reverse("portal:sandbox-checkout", args=[payment.public_id]), {"outcome": "decline"})
    deliver(client, SandboxEvent.objects.get(payment=payment))
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.FAILED


def test_the_hosted_page_answers_a_payment_once(client, player, unreachable_events):
    payment = buy(client, CoinPackFactory())
    url = reverse("portal:sandbox-checkout", args=[payment.public_id])
    client.post(url, {"outcome": "pay", "card_number": "4242424242424242"})
    client.post(url, {"outcome": "decline"})
    assert SandboxEvent.objects.filter(payment=payment).count() == 1


def test_another_players_checkout_is_not_found(client, player):
    other = CustomerFactory()
    client.force_login(other.user)
    pack = CoinPackFactory()
    payment = buy(client, pack)
    client.force_login(player.user)
    assert client.get(reverse("portal:sandbox-checkout", args=[payment.public_id])).status_code == 404
    assert (
        client.post(reverse("portal:sandbox-checkout", args=[payment.public_id]), {"outcome": "pay"}).status_code == 404
    )


def test_a_top_up_credits_the_fiat_wallet_from_the_gateway(client, player, unreachable_events):
    response = client.post(reverse("portal:top-up"), {"currency": "EUR", "amount": "20.00"})
    payment = Payment.objects.get(customer=player)
    assert response.status_code == 302
    client.post(
        reverse("portal:sandbox-checkout", args=[payment.public_id]),
        {"outcome": "pay", "card_number": "4242424242424242"},
    )
    deliver(client, SandboxEvent.objects.get(payment=payment))
    assert Wallet.objects.get(owner=player.user, asset=eur()).balance == Decimal("20.00")
    gateway = system_wallet(code=SystemWallet.GATEWAY_SANDBOX, asset=eur())
    assert Posting.objects.filter(wallet=gateway).aggregate(s=amount_sum())["s"] == Decimal("-20.00")


@pytest.mark.parametrize("amount", ["1.00", "5000.00", "abc", "-3"])
def test_a_top_up_outside_its_bounds_is_refused_with_a_message(client, player, amount):
    response = client.post(reverse("portal:top-up"), {"currency": "EUR", "amount": amount}, follow=True)
    assert response.status_code == 200
    assert not Payment.objects.filter(customer=player).exists()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"webhook-id": "evt_x", "webhook-timestamp": "1700000000", "webhook-signature": "v1,AAAA"},
    ],
)
def test_an_unsigned_or_stale_sandbox_event_answers_400(client, headers):
    body = json.dumps({"id": "evt_x", "type": "checkout.session.completed", "data": {"object": {}}})
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    response = client.post(reverse("sandbox-events"), data=body, content_type="application/json", **extra)
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_signature"
    assert not GatewayEvent.objects.exists()


def test_the_admin_can_no_longer_complete_a_card_payment(admin_client):
    from billing.admin import PaymentAdmin

    assert "complete_payments" not in PaymentAdmin.actions


def test_history_lists_payments_with_a_flat_number_of_queries(client, player):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pack = CoinPackFactory()
    for _ in range(3):
        buy(client, pack)
    client.get(reverse("portal:payments"))  # the first page of a test writes constance's defaults
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("portal:payments")).status_code == 200
    for _ in range(20):
        buy(client, pack)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("portal:payments"))
    assert page.content.count(b'data-testid="payment-row"') == 23
    assert len(many.captured_queries) <= len(few.captured_queries) <= 16


def test_with_the_sandbox_off_nothing_can_be_bought_through_it(client, player, settings):
    settings.PAYMENT_SANDBOX_ENABLED = False
    page = client.get(reverse("portal:coin-shop"))
    assert b"Buying is unavailable right now" in page.content
    pack = CoinPackFactory()
    response = client.post(reverse("portal:coin-shop"), {"coin_pack": pack.pk}, follow=True)
    assert response.status_code == 200 and b"PAYMENT_SANDBOX_ENABLED" in response.content
    assert Payment.objects.get(coin_pack=pack).status == PaymentStatus.FAILED
    body = json.dumps({"id": "evt_off", "type": "checkout.session.completed", "data": {"object": {}}})
    assert client.post(reverse("sandbox-events"), data=body, content_type="application/json").status_code == 503
