"""Support and admin view the portal as a player: with a reason, read-only, for 15 minutes, audited."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditEntry, Customer, Impersonation, StaffRole
from nodebyte_platform.jobs import run_job
from tests.factories.accounts import CustomerFactory, staff_user

pytestmark = pytest.mark.django_db

REASON = "Ticket #42: player says the coin balance looks wrong"


def view_as_url(customer):
    return reverse("admin:accounts_customer_impersonate", args=[customer.pk])


def start(client, customer, reason=REASON):
    return client.post(view_as_url(customer), {"reason": reason, "user_pk": customer.user_id, "next": "/"})


@pytest.fixture
def player():
    return CustomerFactory(nickname="Mira")


@pytest.fixture
def support(client):
    user = staff_user(StaffRole.SUPPORT)
    client.force_login(user)
    return user


def test_support_views_the_portal_as_the_player_with_a_banner_and_an_audit_row(client, support, player):
    page = client.get(view_as_url(player))
    assert page.status_code == 200
    assert "Start viewing" in page.content.decode()

    response = start(client, player)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(player.user_id)

    home = client.get("/")
    html = home.content.decode()
    assert home.status_code == 200
    assert "Staff view: you see the portal as" in html and player.user.username in html
    assert REASON in html
    assert "Sign out" not in html  # the only way out is "Stop viewing"

    impersonation = Impersonation.objects.get()
    assert (impersonation.staff, impersonation.customer, impersonation.ended_at) == (support, player, None)
    assert impersonation.expires_at - impersonation.started_at == timedelta(minutes=15)
    started = AuditEntry.objects.get(action="action:impersonation_started")
    assert started.actor == support and started.object_id == str(player.pk) and started.after["reason"] == REASON


def test_a_reason_is_required(client, support, player):
    response = start(client, player, reason="  because ")
    assert response.status_code == 200
    assert "at least 10 characters" in response.content.decode()
    assert client.session[SESSION_KEY] == str(support.pk)
    assert not Impersonation.objects.exists()


def test_every_write_is_refused_while_viewing(client, support, player):
    start(client, player)
    response = client.post(reverse("portal:account"), {"nickname": "Changed by staff"})
    assert response.status_code == 403
    assert "read-only" in response.content.decode()
    response = client.post(reverse("account_logout"))
    assert response.status_code == 403
    player.refresh_from_db()
    assert player.nickname == "Mira"


def test_stop_viewing_returns_to_the_admin_and_closes_the_record(client, support, player):
    start(client, player)
    response = client.post(reverse("impersonation-stop"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_customer_change", args=[player.pk])
    assert client.session[SESSION_KEY] == str(support.pk)
    impersonation = Impersonation.objects.get()
    assert impersonation.ending == Impersonation.Ending.RELEASED and impersonation.ended_at is not None
    assert AuditEntry.objects.filter(action="action:impersonation_ended", actor=support).count() == 1
    assert client.get("/").status_code == 200  # the staff member's own session, no banner
    assert "Staff view" not in client.get("/").content.decode()


def test_the_view_ends_after_fifteen_minutes(client, support, player):
    start(client, player)
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("admin:login")
    assert SESSION_KEY not in client.session
    impersonation = Impersonation.objects.get()
    assert impersonation.ending == Impersonation.Ending.EXPIRED
    assert impersonation.ended_at == impersonation.expires_at
    assert AuditEntry.objects.filter(action="action:impersonation_ended").count() == 1


def test_the_job_closes_views_nobody_came_back_to(client, support, player):
    start(client, player)
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        run = run_job("accounts.end_expired_impersonations")
    assert run.status == "succeeded" and run.items_processed == 1
    assert Impersonation.objects.get().ending == Impersonation.Ending.EXPIRED
    assert run_job("accounts.end_expired_impersonations").items_processed == 0


@pytest.mark.parametrize("role", [StaffRole.ACCOUNTING, StaffRole.STUDIO])
def test_other_roles_may_not_view_as_a_player(client, player, role):
    client.force_login(staff_user(role))
    assert client.get(view_as_url(player)).status_code in (403, 404)
    assert start(client, player).status_code in (403, 404)
    assert not Impersonation.objects.exists()


def test_hijacks_own_acquire_view_is_not_mounted(client, support, player):
    assert client.post("/hijack/acquire/", {"user_pk": player.user_id}).status_code == 404
    assert client.session[SESSION_KEY] == str(support.pk)


def test_staff_and_archived_players_cannot_be_viewed(client, support):
    staff_customer = CustomerFactory()
    services.set_staff_role(user=staff_customer.user, role=StaffRole.ACCOUNTING)
    archived = services.archive_customer(customer=CustomerFactory())
    for customer in (staff_customer, archived):
        response = start(client, customer)
        assert response.status_code == 302 and response["Location"].startswith("/admin/")
        assert client.session[SESSION_KEY] == str(support.pk)
    assert not Impersonation.objects.exists()
    assert Customer.objects.count() == 2
