"""Billing's and loyalty's events reach the player through support's table (support/reactions.py):
a payment confirmed at the sandbox gateway becomes an in-app notice and an email, once."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import SandboxEvent
from loyalty import signals as loyalty_signals
from support.models import Notification, NotificationType
from tests.billing.test_sandbox_payments import buy, deliver
from tests.factories.accounts import CustomerFactory
from tests.factories.billing import CoinPackFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def player(client, settings):
    settings.SANDBOX_EVENTS_URL = "http://127.0.0.1:9/webhooks/sandbox/"  # nothing listens: the test delivers
    customer = CustomerFactory(user__email="payer@example.com")
    client.force_login(customer.user)
    return customer


def pay_at_sandbox(client, pack, *, card="4242424242424242"):
    payment = buy(client, pack)
    client.post(reverse("portal:sandbox-checkout", args=[payment.public_id]), {"outcome": "pay", "card_number": card})
    return payment


def test_a_confirmed_payment_notifies_the_player_once_in_app_and_by_email(
    client, player, django_capture_on_commit_callbacks
):
    payment = pay_at_sandbox(client, CoinPackFactory(price=Decimal("4.99")))
    event = SandboxEvent.objects.get(payment=payment)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, event)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, event)  # the provider sends it again: nothing more
    notice = Notification.objects.get(user=player.user, type=NotificationType.PAYMENT)
    assert notice.title == "Payment received"
    assert notice.message == "We received your payment of 4.99 EUR."
    assert [m.to for m in mail.outbox] == [["payer@example.com"]]
    assert "4.99 EUR" in mail.outbox[0].body


def test_a_declined_card_tells_the_player_why(client, player, django_capture_on_commit_callbacks):
    payment = pay_at_sandbox(client, CoinPackFactory(price=Decimal("9.99")), card="4000 0000 0000 9995")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, SandboxEvent.objects.get(payment=payment))
    notice = Notification.objects.get(user=player.user, type=NotificationType.PAYMENT_FAILED)
    assert notice.message == "Your payment of 9.99 EUR did not go through. Your card has insufficient funds."


def test_a_tier_change_is_told_in_the_players_words(player, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        loyalty_signals.tier_changed.emit(
            key=f"tier:{player.pk}:test", customer_id=player.pk, old="BRONZE", new="SILVER", reason="LP earned"
        )
    notice = Notification.objects.get(user=player.user, type=NotificationType.TIER_CHANGED)
    assert notice.message == "Your loyalty tier changed from BRONZE to SILVER."
