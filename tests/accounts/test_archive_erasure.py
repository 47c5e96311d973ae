"""Archive and erasure of a player: no login, no money moves, no personal data left, ledger sums intact."""

from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.models import AuditEntry, Customer
from accounts.selectors import can_move_money
from accounts.services import archive_customer, erase_customer, sync_roles, unarchive_customer
from ledger.errors import WalletFrozen
from ledger.models import Asset, Posting, Wallet, amount_sum
from ledger.services import gift, issue
from tests.factories.accounts import DEFAULT_PASSWORD, CustomerFactory, StaffProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_player(client):
    customer = CustomerFactory(user__email="Personal.Person@example.com", full_name="Personal Person")
    customer.gender = "female"
    customer.avatar = "avatars/face.png"
    customer.save()
    coin = Asset.objects.get(code="COIN")
    issue(user=customer.user, asset=coin, amount="100.00", initiator="system:test", idempotency_key="seed")
    friend = CustomerFactory()
    gift(sender=customer.user, receiver=friend.user, asset=coin, amount="30.00", idempotency_key="g1")
    SocialAccount.objects.create(user=customer.user, provider="discord", uid="123456789")
    client.post(reverse("account_login"), {"login": customer.user.username, "password": DEFAULT_PASSWORD})
    assert UserSession.objects.filter(user=customer.user).exists()
    Authenticator.objects.create(user=customer.user, type=Authenticator.Type.TOTP, data={"secret": "s"})
    return customer


def ledger_sums():
    return {
        "postings": Posting.objects.aggregate(s=amount_sum())["s"],
        "count": Posting.objects.count(),
        "wallets": dict(Wallet.objects.filter(owner__isnull=False).values_list("pk", "balance")),
    }


def test_archive_blocks_login_and_money(rich_player, client):
    user = rich_player.user
    archive_customer(customer=rich_player)
    assert not UserSession.objects.filter(user=user).exists()
    client.logout()
    client.post(reverse("account_login"), {"login": user.username, "password": DEFAULT_PASSWORD})
    assert "_auth_user_id" not in client.session
    assert not can_move_money(user)
    with pytest.raises(WalletFrozen):
        issue(user=user, asset=Asset.objects.get(code="COIN"), amount="1", initiator="system:test")
    unarchive_customer(customer=rich_player)
    assert can_move_money(user)


def test_erasure_leaves_no_personal_data_and_ledger_unchanged(rich_player):
    before = ledger_sums()
    user = rich_player.user
    session_keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    erase_customer(customer=rich_player)

    customer = Customer.objects.select_related("user").get(pk=rich_player.pk)
    user = customer.user
    personal = ["Personal.Person", "personal.person", "Personal Person", "face.png", "123456789"]
    texts = [
        user.username,
        user.email,
        user.first_name,
        user.last_name,
        customer.nickname,
        customer.full_name,
        customer.gender,
        customer.avatar.name,
    ]
    for text in texts:
        assert not any(p.lower() in (text or "").lower() for p in personal), text
    assert user.email.endswith("@erased.invalid") and not user.has_usable_password() and not user.is_active
    assert customer.erased_at and customer.is_archived
    assert not SocialAccount.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert not Session.objects.filter(session_key__in=session_keys).exists()
    # The audit trail of the erasure holds no personal value either.
    for entry in AuditEntry.objects.filter(object_id=str(customer.pk)):
        dumped = str(entry.before) + str(entry.after) + entry.object_repr
        assert not any(p.lower() in dumped.lower() for p in personal)

    assert ledger_sums() == before
    assert Wallet.objects.get(owner=user, asset__code="COIN").balance == Decimal("70.00")
    assert Posting.objects.filter(wallet__owner=user).aggregate(s=amount_sum())["s"] == Decimal("70.00")


def test_support_archives_in_admin_only_admin_erases_and_accounting_does_neither(client):
    sync_roles()
    customer = CustomerFactory()
    url = reverse("admin:accounts_customer_changelist")

    client.force_login(StaffProfileFactory(role="accounting").user)
    client.post(url, {"action": "archive_customers", "_selected_action": [customer.pk]})
    customer.refresh_from_db()
    assert not customer.is_archived

    support = StaffProfileFactory(role="support").user
    client.force_login(support)
    response = client.post(url, {"action": "archive_customers", "_selected_action": [customer.pk]})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.is_archived
    entry = AuditEntry.objects.get(action="archive", object_id=str(customer.pk))
    assert entry.actor == support and entry.before["is_archived"] is False and entry.after["is_archived"] is True

    # Erasing is not support's: the action is not offered, even posted by hand with the confirmation.
    assert "erase_customers" not in client.get(url).content.decode()
    client.post(url, {"action": "erase_customers", "_selected_action": [customer.pk], "confirm": "yes"})
    customer.refresh_from_db()
    assert customer.erased_at is None

    admin_user = StaffProfileFactory(role="admin").user
    client.force_login(admin_user)
    page = client.post(url, {"action": "erase_customers", "_selected_action": [customer.pk]})
    assert page.status_code == 200 and "Erase personal data" in page.content.decode()
    assert str(customer.player_id) in page.content.decode()
    customer.refresh_from_db()
    assert customer.erased_at is None  # nothing happens before the confirmation
    client.post(url, {"action": "erase_customers", "_selected_action": [customer.pk], "confirm": "yes"})
    customer.refresh_from_db()
    assert customer.erased_at is not None
    assert AuditEntry.objects.filter(action="erase", actor=admin_user).exists()


def test_support_sends_password_reset_from_admin(client, mailoutbox):
    sync_roles()
    customer = CustomerFactory(user__email="reset.me@example.com")
    client.force_login(StaffProfileFactory(role="support").user)
    client.post(
        reverse("admin:accounts_customer_changelist"),
        {"action": "send_password_reset", "_selected_action": [customer.pk]},
    )
    assert [m.to for m in mailoutbox] == [["reset.me@example.com"]]


def test_support_profile_edit_is_audited(client):
    sync_roles()
    customer = CustomerFactory(nickname="Old")
    support = StaffProfileFactory(role="support").user
    client.force_login(support)
    url = reverse("admin:accounts_customer_change", args=[customer.pk])
    response = client.get(url)
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields and k != "avatar"}
    data.update({"nickname": "New", "vip": "gold"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    entry = AuditEntry.objects.get(action="change", object_id=str(customer.pk))
    assert entry.actor == support
    assert entry.before["nickname"] == "Old" and entry.after["nickname"] == "New"
