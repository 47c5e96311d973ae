"""Login lockouts through the real doors (the portal's allauth login, and the admin login that
redirects to it), and staff TOTP before admin.

A failed login counts against one (login, client address) pair only: nobody locks a player out
from another address, and a crowd of clients behind one proxy address does not share a counter.
Behind the proxies counted by TRUSTED_PROXY_COUNT the client address is read from
X-Forwarded-For. The token endpoint's lockout is tested in tests/api/test_token_lockout.py.
"""

import re
import uuid
from urllib.parse import urlparse

import pytest
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.services import sync_roles
from nodebyte_platform import settings as project_settings
from tests.factories.accounts import DEFAULT_PASSWORD, StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER, VICTIM_HOME = "203.0.113.7", "198.51.100.20"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _production_rate_limits(settings):
    """allauth's limits exactly as settings.py sets them (tests/settings.py turns them off
    for every other test): a lockout test that ran without them could not see them lock."""
    settings.ACCOUNT_RATE_LIMITS = project_settings.ACCOUNT_RATE_LIMITS


def unique_address() -> str:
    """An address no other test uses: allauth's per-address rate limits live in the cache, which
    the xdist workers share when REDIS_URL is set."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{max(raw[2], 1)}"


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def login(client, login_name, password, ip, path=None, **headers):
    return client.post(
        path or reverse("account_login"), {"login": login_name, "password": password}, REMOTE_ADDR=ip, **headers
    )


def form_errors(response) -> str:
    """What the login page told the user, for assertion messages."""
    return " | ".join(re.findall(r'class="errorlist[^"]*">(.*?)</ul>', response.content.decode(), re.S)) or "(none)"


def logged_in_as(client, user) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


@pytest.fixture(params=["portal", "admin"])
def door(request, client):
    """The login form's URL as each door reaches it: the portal's own, or where /admin/login/ sends
    staff (the same allauth form, with next=/admin/)."""
    if request.param == "portal":
        return reverse("account_login")
    response = client.get(reverse("admin:login"), {"next": reverse("admin:index")})
    assert response.status_code == 302
    target = urlparse(response.url)
    assert target.path == reverse("account_login")
    return f"{target.path}?{target.query}"


def test_five_addresses_failing_for_one_user_do_not_lock_them_out_of_a_sixth(client, door, settings):
    # The report: five wrong passwords for bob from five addresses locked bob out from a sixth.
    user = UserFactory(username=unique_name("bob"), is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, user.username, "wrong-password", unique_address(), door)
        assert response.status_code == 200  # the form again, with its error
        assert not logged_in_as(client, user)
    response = login(client, user.username, DEFAULT_PASSWORD, unique_address(), door)
    assert response.status_code == 302, form_errors(response)
    assert logged_in_as(client, user)


def test_a_locked_pair_does_not_lock_the_same_user_from_another_address(client, door, settings):
    user = UserFactory(username=unique_name("victim"), is_staff=True)
    attacker = unique_address()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong-password", attacker, door)
    assert login(client, user.username, "wrong-password", attacker, door).status_code == 429
    # Even the right password is refused from the attacker's address during the cool-off.
    assert login(client, user.username, DEFAULT_PASSWORD, attacker, door).status_code == 429
    assert not logged_in_as(client, user)

    # The real user, from home, logs in as usual.
    response = login(client, user.username, DEFAULT_PASSWORD, unique_address(), door)
    assert response.status_code == 302
    assert logged_in_as(client, user)


def test_failures_for_unknown_usernames_from_one_address_never_lock_a_real_user(client, door, settings):
    # Behind a proxy that nobody told the app about, every client shares the proxy's address.
    shared = unique_address()
    user = UserFactory(username=unique_name("real"), is_staff=True)
    for i in range(3 * settings.AXES_FAILURE_LIMIT):
        junk = unique_name("junk") if i % 2 else "junk-repeated"
        login(client, junk, "guess", shared, door)
    response = login(client, user.username, DEFAULT_PASSWORD, shared, door)
    assert response.status_code == 302, form_errors(response)
    assert logged_in_as(client, user)


def test_behind_the_configured_proxy_the_client_address_comes_from_x_forwarded_for(client, door, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    user = UserFactory(username=unique_name("proxied"), is_staff=True)
    attacker, home = unique_address(), unique_address()

    def via_proxy(password, forwarded_for):
        return login(client, user.username, password, PROXY, door, HTTP_X_FORWARDED_FOR=forwarded_for)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        via_proxy("wrong-password", attacker)
    assert AccessAttempt.objects.get(username=user.username).ip_address == attacker
    assert via_proxy(DEFAULT_PASSWORD, attacker).status_code == 429
    # The attacker sends an X-Forwarded-For of its own; the proxy appends the address it saw.
    assert via_proxy(DEFAULT_PASSWORD, f"{home}, {attacker}").status_code == 429
    assert not logged_in_as(client, user)

    # Another client behind the same proxy is not locked.
    assert via_proxy(DEFAULT_PASSWORD, home).status_code == 302
    assert logged_in_as(client, user)


def test_without_a_configured_proxy_x_forwarded_for_is_ignored(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    user = UserFactory(username=unique_name("direct"))
    attacker = unique_address()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong-password", attacker)
    # A client talking to the app directly cannot name itself another address.
    response = login(client, user.username, DEFAULT_PASSWORD, attacker, HTTP_X_FORWARDED_FOR=unique_address())
    assert response.status_code == 429
    assert not logged_in_as(client, user)


def test_username_case_and_email_share_the_counter(client, settings):
    user = UserFactory(username=unique_name("casey"))
    attacker = unique_address()
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username.upper() if i % 2 else user.username, "wrong", attacker)
    assert login(client, user.email, DEFAULT_PASSWORD, attacker).status_code == 429


def test_staff_can_unlock_in_admin(client, settings):
    user = UserFactory(username=unique_name("locked"))
    attacker = unique_address()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong", attacker)
    attempt = AccessAttempt.objects.get(username=user.username)
    sync_roles()
    staff = StaffProfileFactory(role="support").user
    admin_client = client_class_for(client)
    admin_client.force_login(staff)
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    entry = AuditEntry.objects.get(action="delete", object_id=str(attempt.pk))
    assert entry.actor == staff and entry.before["failures_since_start"] == settings.AXES_FAILURE_LIMIT
    # Unlocked in admin means unlocked: no second limiter keeps the pair locked behind axes.
    assert login(client, user.username, DEFAULT_PASSWORD, attacker).status_code == 302
    assert logged_in_as(client, user)


def client_class_for(client):
    return type(client)()


def test_admin_login_goes_through_the_portal_login(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=" in response.url


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
