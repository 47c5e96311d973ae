"""Billing admin actions call the services: money moves through the ledger, once."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Payment, PaymentStatus, Withdrawal, WithdrawalStatus
from ledger.models import Transfer, Wallet
from tests.factories.accounts import SuperUserFactory
from tests.factories.billing import InvoiceFactory, PaymentFactory, WithdrawalFactory, eur

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(SuperUserFactory())
    return client


def act(client, model, action, *objs, **extra):
    url = reverse(f"admin:billing_{model}_changelist")
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objs], **extra}, follow=True)


def test_no_admin_action_completes_a_card_payment(staff_client):
    payment = PaymentFactory(amount=Decimal("12.00"))
    response = act(staff_client, "payment", "complete_payments", payment)
    assert response.status_code == 200
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    assert not Transfer.objects.filter(idempotency_key=f"payment:{payment.public_id}").exists()
    # Approving is for bank transfers only: a card payment is refused, not completed.
    page = act(staff_client, "payment", "approve_bank_payments", payment)
    assert "validation_error" in page.content.decode() or "Only bank transfers" in page.content.decode()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING


def test_withdrawal_actions_follow_the_lifecycle(staff_client):
    withdrawal = WithdrawalFactory(amount=Decimal("8.00"))
    act(staff_client, "withdrawal", "fail_withdrawals", withdrawal, confirm="yes", reason="Account closed")
    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    assert withdrawal.status == WithdrawalStatus.FAILED
    assert Wallet.objects.get(owner=withdrawal.customer.user, asset=eur()).balance == Decimal("8.00")
    response = act(staff_client, "withdrawal", "approve_withdrawals", withdrawal, confirm="yes")
    assert "invalid_state" in response.content.decode()


def test_approving_a_withdrawal_first_lists_the_money_going_out(staff_client, django_capture_on_commit_callbacks):
    withdrawal = WithdrawalFactory(amount=Decimal("934.50"), customer__nickname="Payee Pat", customer__vip="gold")
    page = act(staff_client, "withdrawal", "approve_withdrawals", withdrawal)
    html = page.content.decode()
    assert page.status_code == 200 and 'id="action-confirmation"' in html
    for shown in ("934.50", "EUR", "PayPal", "Payee Pat", str(withdrawal.public_id), "To be approved: 934.50 EUR"):
        assert shown in html, shown
    assert Withdrawal.objects.get(pk=withdrawal.pk).approved_by is None

    act(staff_client, "withdrawal", "approve_withdrawals", withdrawal, confirm="yes")
    approved = Withdrawal.objects.get(pk=withdrawal.pk)
    # Above the threshold (and just after its deposit): waits for a second accounting user.
    assert approved.status == WithdrawalStatus.PENDING and approved.awaiting == "second approval"
    assert not Transfer.objects.filter(idempotency_key=f"withdrawal-payout:{withdrawal.public_id}").exists()


def test_failing_a_withdrawal_asks_for_the_reason_and_keeps_it(staff_client):
    withdrawal = WithdrawalFactory(amount=Decimal("8.00"))

    page = act(staff_client, "withdrawal", "fail_withdrawals", withdrawal)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.PENDING

    refused = act(staff_client, "withdrawal", "fail_withdrawals", withdrawal, confirm="yes", reason="   ")
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert Withdrawal.objects.get(pk=withdrawal.pk).status == WithdrawalStatus.PENDING

    act(staff_client, "withdrawal", "fail_withdrawals", withdrawal, confirm="yes", reason="Bank rejected the IBAN")
    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    assert withdrawal.status == WithdrawalStatus.FAILED
    assert withdrawal.failure_reason == "Bank rejected the IBAN"


def test_invoice_actions_and_no_hand_made_money_rows(staff_client):
    invoice = InvoiceFactory()
    act(staff_client, "invoice", "mark_overdue", invoice)
    act(staff_client, "invoice", "cancel_invoices", invoice)
    assert type(invoice).objects.get(pk=invoice.pk).status == "cancelled"
    for model in ("invoice", "payment", "withdrawal", "gatewayevent", "dispute"):
        assert staff_client.get(reverse(f"admin:billing_{model}_add")).status_code == 403
    staff_client.post(reverse("admin:billing_invoice_change", args=[invoice.pk]), {"total": "0.01", "tax": "5"})
    assert type(invoice).objects.get(pk=invoice.pk).total == invoice.total
    assert staff_client.post(reverse("admin:billing_invoice_delete", args=[invoice.pk])).status_code == 403


# --- saves through billing.services, as accounting staff -------------------------------


@pytest.fixture
def accounting_client(client):
    from accounts.models import StaffRole
    from tests.factories.accounts import staff_user

    client.force_login(staff_user(StaffRole.ACCOUNTING))
    return client


def test_a_product_is_priced_in_its_currencys_places_with_an_egg_of_its_nest(accounting_client):
    from billing.models import Product
    from tests.admin_forms import form_data, form_errors
    from tests.factories.billing import ProductFactory
    from tests.factories.games import EggFactory, NestFactory

    product = ProductFactory(price=Decimal("9.99"))
    url = reverse("admin:billing_product_change", args=[product.pk])
    data = form_data(accounting_client, url, Product)

    too_fine = accounting_client.post(url, {**data, "price": "9.995"})
    assert form_errors(too_fine) == ["price: EUR amounts carry at most 2 decimal places. (invalid_amount)"]
    wrong_egg = accounting_client.post(url, {**data, "nest": NestFactory().pk, "egg": EggFactory().pk})
    assert "(validation_error)" in form_errors(wrong_egg)[0] and "belongs to another nest" in form_errors(wrong_egg)[0]
    product.refresh_from_db()
    assert product.price == Decimal("9.99") and product.egg is None

    assert accounting_client.post(url, {**data, "price": "12.50"}).status_code == 302
    product.refresh_from_db()
    assert product.price == Decimal("12.50") and product.history.first().price == Decimal("12.50")


def test_a_subscriptions_status_and_due_date_are_not_edited_by_hand(accounting_client):
    from tests.factories.billing import SubscriptionFactory

    subscription = SubscriptionFactory()
    url = reverse("admin:billing_subscription_change", args=[subscription.pk])
    assert 'name="_save"' not in accounting_client.get(url).content.decode()
    response = accounting_client.post(url, {"status": "cancelled", "next_due_at": "2099-01-01"})
    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.status == "active" and str(subscription.next_due_at) != "2099-01-01"


def test_switching_an_auto_top_up_off_goes_through_its_service(accounting_client):
    from billing.models import AutoTopUp
    from tests.admin_forms import form_data
    from tests.factories.billing import AutoTopUpFactory

    setting = AutoTopUpFactory(enabled=True)
    url = reverse("admin:billing_autotopup_change", args=[setting.pk])
    data = form_data(accounting_client, url, AutoTopUp)
    data.pop("enabled", None)  # the box unticked

    assert accounting_client.post(url, data).status_code == 302
    setting.refresh_from_db()
    assert not setting.enabled
