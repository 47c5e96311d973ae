"""Player flows through the test client: sign-up, verification, login, reset, referral, home."""

import re
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Customer, User
from accounts.selectors import can_move_money
from ledger.models import Asset, Wallet
from ledger.services import issue
from tests.factories.accounts import DEFAULT_PASSWORD, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Sturdy-passphrase-2026!"


def signup(client, **overrides):
    data = {
        "username": "newplayer",
        "email": "newplayer@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "referral_code": "",
        **overrides,
    }
    return client.post(reverse("account_signup"), data)


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_signup_creates_player_with_wallet_and_sends_verification(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the COIN wallet opens after commit
        response = signup(client)
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(username="newplayer")
    customer = Customer.objects.get(user=user)
    assert re.fullmatch(r"[A-Z2-9]{10}", customer.referral_code)
    coin = Wallet.objects.get(owner=user, asset__code="COIN")
    assert coin.balance == Decimal("0")
    assert EmailAddress.objects.get(user=user).verified is False
    assert not can_move_money(user)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["newplayer@example.com"]


def test_signup_refuses_email_outside_pattern_and_says_so(client, settings):
    settings.ACCOUNTS_EMAIL_PATTERN = r"^\d{2}f\d{7}@ds\.study\.iitm\.ac\.in$"
    response = signup(client, email="someone@gmail.com")
    assert response.status_code == 200
    errors = response.context["form"].errors["email"]
    assert any("must match the pattern" in e and "iitm" in e for e in errors)
    assert not User.objects.filter(username="newplayer").exists()
    response = signup(client, email="21f1234567@ds.study.iitm.ac.in")
    assert response.status_code == 302
    assert User.objects.filter(username="newplayer").exists()


def test_duplicate_username_is_refused(client):
    UserFactory(username="newplayer", email="first@example.com")
    response = signup(client, email="other@example.com")
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username__iexact="newplayer").count() == 1


def test_duplicate_email_creates_no_account_and_warns_the_owner(client):
    UserFactory(username="owner", email="taken@example.com")
    response = signup(client, email="TAKEN@example.com")
    # Enumeration-safe: same answer as a fresh sign-up, no second account, the owner is told.
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    assert not User.objects.filter(username="newplayer").exists()
    assert mail.outbox and mail.outbox[-1].to == ["taken@example.com"]


def test_verification_then_login_by_username_and_by_email(client):
    signup(client)
    user = User.objects.get(username="newplayer")
    # Unverified: logging in only re-sends the confirmation.
    client.logout()
    response = client.post(reverse("account_login"), {"login": "newplayer", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    confirm_path = link_in(mail.outbox[0])
    assert client.get(confirm_path).status_code == 200
    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert can_move_money(user)

    client.logout()
    response = client.post(reverse("account_login"), {"login": "newplayer", "password": PASSWORD})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk
    client.logout()
    response = client.post(reverse("account_login"), {"login": "NewPlayer@Example.com", "password": PASSWORD})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk
    assert client.get(reverse("portal:account")).status_code == 200
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_wrong_password_does_not_log_in(client):
    UserFactory(username="alice")
    response = client.post(reverse("account_login"), {"login": "alice", "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email_link(client):
    user = UserFactory(username="forgetful", email="forgetful@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    assert response.status_code == 302
    reset_path = link_in(mail.outbox[-1])
    response = client.get(reset_path)
    assert response.status_code == 302  # allauth moves the key into the session
    set_path = response.url
    response = client.post(set_path, {"password1": "A-brand-new-secret-77", "password2": "A-brand-new-secret-77"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("A-brand-new-secret-77")
    # The link is one-time.
    assert client.get(reset_path, follow=True).context.get("token_fail") is True


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": DEFAULT_PASSWORD, "password1": "Another-long-secret-88", "password2": "Another-long-secret-88"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-long-secret-88")


def test_referral_code_links_the_inviter(client):
    inviter = CustomerFactory()
    response = client.get(reverse("portal:join", args=[inviter.referral_code]))
    assert response.context["form"]["referral_code"].value() == inviter.referral_code
    signup(client, referral_code=inviter.referral_code.lower())
    invitee = Customer.objects.get(user__username="newplayer")
    assert invitee.inviter == inviter
    assert invitee.referral_code != inviter.referral_code


def test_unknown_referral_code_is_refused(client):
    response = signup(client, referral_code="NOSUCHCODE")
    assert response.status_code == 200
    assert "referral_code" in response.context["form"].errors
    assert not User.objects.filter(username="newplayer").exists()


def test_landing_page_for_visitors(client, django_assert_max_num_queries):
    # Constance reads its keys one by one; the page itself runs no query.
    with django_assert_max_num_queries(20):
        response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("account_login") in body and reverse("account_signup") in body


def test_home_shows_balances_with_asset_precision_and_history(client, django_assert_max_num_queries):
    customer = CustomerFactory()
    coin = Asset.objects.get(code="COIN")
    client.force_login(customer.user)
    issue(user=customer.user, asset=coin, amount="12.5", initiator="system:test", idempotency_key="k0")
    with CaptureQueriesContext(connection) as one_row:
        client.get(reverse("portal:home"))
    for i in range(1, 5):
        issue(user=customer.user, asset=coin, amount="12.5", initiator="system:test", idempotency_key=f"k{i}")
    with django_assert_max_num_queries(len(one_row)):
        response = client.get(reverse("portal:home"))
    body = response.content.decode()
    assert 'data-asset="COIN">62.50<' in body
    assert body.count("+12.50") == 5


def test_archived_player_cannot_log_in(client):
    from accounts.services import archive_customer

    customer = CustomerFactory()
    archive_customer(customer=customer)
    client.post(reverse("account_login"), {"login": customer.user.username, "password": DEFAULT_PASSWORD})
    assert "_auth_user_id" not in client.session
    assert not can_move_money(customer.user)


def test_account_pages_render_in_portal_layout(client):
    user = CustomerFactory().user
    client.force_login(user)
    for name in (
        "portal:account",
        "account_email",
        "account_change_password",
        "mfa_index",
        "usersessions_list",
        "socialaccount_connections",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert 'class="topbar"' in response.content.decode(), name
