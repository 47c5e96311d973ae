"""django-axes on the portal login, the admin login and the token endpoint; staff TOTP before admin."""

import base64

import pytest
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.services import sync_roles
from tests.factories.accounts import DEFAULT_PASSWORD, PartnerApplicationFactory, StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER, VICTIM_HOME = "203.0.113.7", "198.51.100.20"


def login(client, login_name, password, ip):
    return client.post(reverse("account_login"), {"login": login_name, "password": password}, REMOTE_ADDR=ip)


def test_lockout_after_repeated_failures_but_not_for_the_real_user_elsewhere(client, settings):
    user = UserFactory(username="victim")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "victim", "wrong-password", ATTACKER)
    response = login(client, "victim", "wrong-password", ATTACKER)
    assert response.status_code == 429
    # Even the right password is refused from the attacker's address during the cool-off.
    response = login(client, "victim", DEFAULT_PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # The real user, from home, logs in as usual.
    response = login(client, "victim", DEFAULT_PASSWORD, VICTIM_HOME)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_username_case_and_email_share_the_counter(client, settings):
    UserFactory(username="casey", email="casey@example.com")
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "CASEY" if i % 2 else "casey", "wrong", ATTACKER)
    assert login(client, "casey", DEFAULT_PASSWORD, ATTACKER).status_code == 429


def test_staff_can_unlock_in_admin(client, settings):
    UserFactory(username="locked")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "locked", "wrong", ATTACKER)
    attempt = AccessAttempt.objects.get(username="locked")
    sync_roles()
    staff = StaffProfileFactory(role="support").user
    admin_client = client_class_for(client)
    admin_client.force_login(staff)
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="locked").exists()
    entry = AuditEntry.objects.get(action="delete", object_id=str(attempt.pk))
    assert entry.actor == staff and entry.before["failures_since_start"] == settings.AXES_FAILURE_LIMIT
    assert login(client, "locked", DEFAULT_PASSWORD, ATTACKER).status_code == 302


def client_class_for(client):
    return type(client)()


def test_admin_login_goes_through_the_portal_login(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=" in response.url


def test_token_endpoint_locks_client_id_and_ip(client, settings):
    app = PartnerApplicationFactory()

    def attempt(secret, ip):
        raw = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
        return client.post(
            reverse("oauth2_provider:token"),
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=f"Basic {raw}",
            REMOTE_ADDR=ip,
        )

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt("wrong", ATTACKER).status_code == 401
    # The failure that reaches the limit is answered with the lockout already.
    assert attempt("wrong", ATTACKER).status_code == 429
    assert attempt(app.raw_client_secret, ATTACKER).status_code == 429
    # The partner's own servers are unaffected.
    assert attempt(app.raw_client_secret, VICTIM_HOME).status_code == 200


def test_staff_without_totp_are_sent_to_set_it_up(client, settings):
    settings.STAFF_REQUIRE_MFA = True
    sync_roles()
    staff = StaffProfileFactory(role="support").user
    client.force_login(staff)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))
    # The set-up page itself is reachable (allauth first asks for the password again: no loop).
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200 or response.url.startswith(reverse("account_reauthenticate"))
    assert client.get(reverse("account_reauthenticate")).status_code == 200

    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get(reverse("admin:index")).status_code == 200


def test_players_are_not_asked_for_totp(client, settings):
    settings.STAFF_REQUIRE_MFA = True
    client.force_login(UserFactory())
    assert client.get(reverse("portal:home")).status_code == 200
