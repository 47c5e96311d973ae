from decimal import Decimal

import pytest
from constance.test import override_config
from django.urls import reverse

from ledger.models import AdjustmentRequest, AdjustmentStatus, ReconciliationFinding, Transfer, TransferKind
from ledger.services import gift, reconcile_ledger, resolve_finding, user_wallet
from tests.factories.accounts import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def accountant(client):
    user = staff_user("accounting")
    client.force_login(user)
    return user


@pytest.fixture
def a_gift(funded, coin):
    alice, bob = funded("50.00"), funded("0")
    return gift(sender=alice, receiver=bob, asset=coin, amount="20.00", idempotency_key="adm")


@pytest.mark.parametrize(
    "name", ["transfer", "posting", "wallet", "adjustmentrequest", "reconciliationrun", "reconciliationfinding"]
)
def test_changelists_keep_query_counts_flat(client, accountant, funded, coin, name, django_assert_max_num_queries):
    for i in range(6):
        gift(sender=funded("10.00"), receiver=funded("0"), asset=coin, amount="1", idempotency_key=f"q{i}")
    reconcile_ledger()
    with django_assert_max_num_queries(20):
        response = client.get(reverse(f"admin:ledger_{name}_changelist"))
    assert response.status_code == 200


def test_accountant_sees_a_transfer_with_its_postings_but_cannot_edit_it(client, accountant, a_gift):
    url = reverse("admin:ledger_transfer_change", args=[a_gift.pk])
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "-20.00" in body and "Reverse this transfer" in body
    assert 'name="_save"' not in body
    response = client.post(url, {"description": "edited"})
    assert response.status_code == 403
    assert client.post(reverse("admin:ledger_transfer_delete", args=[a_gift.pk])).status_code == 403
    assert Transfer.objects.get(pk=a_gift.pk).description == ""


def test_accountant_reverses_a_transfer_after_confirming(client, accountant, a_gift, coin):
    url = reverse("admin:ledger_transfer_reverse", args=[a_gift.pk])
    page = client.get(url)
    assert page.status_code == 200 and "will be undone by" in page.content.decode()
    # No confirmation ticked: nothing happens.
    assert client.post(url, {"reason": "duplicate"}).status_code == 200
    assert not Transfer.objects.filter(reverses=a_gift).exists()
    response = client.post(url, {"reason": "duplicate", "confirm": "on"})
    reversal = Transfer.objects.get(reverses=a_gift)
    assert response.status_code == 302 and str(reversal.pk) in response["Location"]
    assert reversal.kind == TransferKind.REVERSAL and reversal.created_by == accountant
    assert reversal.description == "duplicate"
    # A second attempt is refused with a message, not a 500.
    again = client.post(url, {"reason": "again", "confirm": "on"}, follow=True)
    assert "already_reversed" in again.content.decode()
    assert Transfer.objects.filter(reverses=a_gift).count() == 1


def test_support_cannot_reverse(client, a_gift):
    client.force_login(staff_user("support"))
    assert client.get(reverse("admin:ledger_transfer_reverse", args=[a_gift.pk])).status_code == 403


@override_config(ADJUSTMENT_APPROVAL_THRESHOLD="100.00")
def test_large_adjustment_needs_a_second_accountant(client, accountant, funded, coin):
    alice = funded("0")
    wallet = user_wallet(user=alice, asset=coin)
    adjust_url = reverse("admin:ledger_adjustmentrequest_adjust")
    assert client.get(adjust_url).status_code == 200
    bad = client.post(adjust_url, {"wallet": wallet.pk, "amount": "1.001", "reason": "typo"})
    assert bad.status_code == 200 and "invalid_amount" in bad.content.decode()
    response = client.post(adjust_url, {"wallet": wallet.pk, "amount": "250.00", "reason": "lost purchase"})
    assert response.status_code == 302
    request = AdjustmentRequest.objects.get()
    assert request.status == AdjustmentStatus.PENDING and request.requested_by == accountant

    approve_url = reverse("admin:ledger_adjustmentrequest_approve_detail", args=[request.pk])
    refused = client.post(approve_url, follow=True)
    assert "self_approval" in refused.content.decode()
    request = AdjustmentRequest.objects.get(pk=request.pk)
    assert request.status == AdjustmentStatus.PENDING

    checker = staff_user("accounting")
    client.force_login(checker)
    assert client.get(approve_url).status_code == 200
    client.post(approve_url)
    request = AdjustmentRequest.objects.get(pk=request.pk)
    assert request.status == AdjustmentStatus.POSTED and request.approved_by == checker
    assert user_wallet(user=alice, asset=coin).balance == Decimal("250.00")


def test_small_adjustment_posts_from_the_form(client, accountant, funded, coin):
    wallet = user_wallet(user=funded("0"), asset=coin)
    client.post(
        reverse("admin:ledger_adjustmentrequest_adjust"), {"wallet": wallet.pk, "amount": "5.00", "reason": "goodwill"}
    )
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("5.00")


def test_admin_index_warns_while_the_last_run_has_open_findings(client, accountant, funded, coin, force_balance):
    wallet = user_wallet(user=funded("10.00"), asset=coin)
    reconcile_ledger()
    assert "ledger-reconciliation-warning" not in client.get(reverse("admin:index")).content.decode()
    force_balance(wallet, "11")
    reconcile_ledger()
    assert "ledger-reconciliation-warning" in client.get(reverse("admin:index")).content.decode()
    for finding in ReconciliationFinding.objects.all():
        resolve_finding(finding=finding, by=accountant, note="explained")
    assert "ledger-reconciliation-warning" not in client.get(reverse("admin:index")).content.decode()


def test_finding_resolved_from_admin(client, accountant, funded, coin, force_balance):
    wallet = user_wallet(user=funded("10.00"), asset=coin)
    force_balance(wallet, "12")
    finding = reconcile_ledger().findings.first()
    url = reverse("admin:ledger_reconciliationfinding_resolve_detail", args=[finding.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"note": "tampering test"})
    finding.refresh_from_db()
    assert finding.resolved and finding.resolved_by == accountant
