"""Support admin: actions and inline replies go through services; webhook URLs never shown in clear."""

import pytest
from django.urls import reverse

from support import services
from support.models import DiscordWebhook, Ticket, TicketStatus
from tests.factories.accounts import SuperUserFactory
from tests.factories.support import DiscordWebhookFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = SuperUserFactory()
    client.force_login(user)
    client.user = user
    return client


def test_assign_to_me_and_close_actions(staff_client):
    ticket = TicketFactory()
    url = reverse("admin:support_ticket_changelist")
    staff_client.post(url, {"action": "assign_to_me", "_selected_action": [ticket.pk]})
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.assigned_to == staff_client.user
    staff_client.post(url, {"action": "close_tickets", "_selected_action": [ticket.pk]})
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.CLOSED
    response = staff_client.post(url, {"action": "close_tickets", "_selected_action": [ticket.pk]}, follow=True)
    assert "invalid_state" in response.content.decode()


def test_internal_note_added_through_the_inline(staff_client):
    ticket = TicketFactory()
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    data = {
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "replies-TOTAL_FORMS": "0",
        "replies-INITIAL_FORMS": "0",
        "replies-2-TOTAL_FORMS": "1",
        "replies-2-INITIAL_FORMS": "0",
        "replies-2-0-message": "Customer is a VIP, be gentle.",
        "replies-2-0-is_internal": "on",
        "replies-2-0-ticket": ticket.pk,
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    reply = ticket.replies.get()
    assert reply.is_internal and reply.author == staff_client.user


def reply_form(ticket, message, *, internal=False):
    data = {
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "replies-TOTAL_FORMS": "0",
        "replies-INITIAL_FORMS": "0",
        "replies-2-TOTAL_FORMS": "1",
        "replies-2-INITIAL_FORMS": "0",
        "replies-2-0-message": message,
        "replies-2-0-ticket": ticket.pk,
    }
    if internal:
        data["replies-2-0-is_internal"] = "on"
    return data


def test_a_refused_reply_shows_the_refusal_and_no_success_message(staff_client):
    ticket = services.close_ticket(ticket=TicketFactory())
    url = reverse("admin:support_ticket_change", args=[ticket.pk])

    response = staff_client.post(url, reply_form(ticket, "We fixed it."), follow=True)

    # Back on the ticket's form, the typed reply still there to retry, the refusal on the form.
    assert response.status_code == 200 and response.redirect_chain == []
    assert "The ticket is closed; reopen it before replying. (invalid_state)" in response.context["errors"][0]
    assert "We fixed it." in response.content.decode()
    assert not [str(m) for m in response.context["messages"] if "successfully" in str(m)]
    assert not ticket.replies.exists()


def test_an_accepted_reply_still_says_the_ticket_was_saved(staff_client):
    ticket = TicketFactory()
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    response = staff_client.post(url, reply_form(ticket, "On it."), follow=True)
    shown = [str(message) for message in response.context["messages"]]
    assert [m for m in shown if "changed successfully" in m], shown
    assert ticket.replies.get().message == "On it."


def test_webhook_url_is_write_only_in_admin(staff_client):
    webhook = DiscordWebhookFactory(webhook_url="https://discord.com/api/webhooks/77/top-secret-token")
    change = staff_client.get(reverse("admin:support_discordwebhook_change", args=[webhook.pk])).content.decode()
    listing = staff_client.get(reverse("admin:support_discordwebhook_changelist")).content.decode()
    assert "top-secret-token" not in change and "top-secret-token" not in listing
    assert "https://discord.com/api/webhooks/77/" in listing  # masked form stays recognisable


def test_webhook_add_validates_and_stores_url(staff_client):
    url = reverse("admin:support_discordwebhook_add")
    data = {
        "owner": staff_client.user.pk,
        "name": "Ops",
        "new_webhook_url": "https://example.com/not-discord",
        "notify_server_events": "on",
        "is_active": "on",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 200 and not DiscordWebhook.objects.exists()
    data["new_webhook_url"] = "https://discord.com/api/webhooks/9/fresh"
    assert staff_client.post(url, data).status_code == 302
    assert DiscordWebhook.objects.get().webhook_url == "https://discord.com/api/webhooks/9/fresh"


def test_staff_opens_a_ticket_for_a_customer(staff_client):
    from tests.factories.accounts import CustomerFactory

    customer = CustomerFactory()
    data = {"customer": customer.pk, "subject": "Call back", "message": "Asked by phone", "category": "billing"}
    data["priority"] = "high"
    response = staff_client.post(reverse("admin:support_ticket_add"), data)
    assert response.status_code == 302, response.content.decode()[:1500]
    ticket = Ticket.objects.get()
    assert ticket.customer == customer and ticket.status == TicketStatus.OPEN and ticket.priority == "high"


def test_a_ticket_saved_unchanged_keeps_its_last_activity(staff_client):
    from tests.admin_forms import form_data

    ticket = TicketFactory()
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    before = Ticket.objects.get(pk=ticket.pk).updated_at

    assert staff_client.post(url, form_data(staff_client, url, Ticket)).status_code == 302

    assert Ticket.objects.get(pk=ticket.pk).updated_at == before


def test_support_edits_a_tickets_priority_and_notification_settings_through_services(client):
    from accounts.models import StaffRole
    from support.models import NotificationSettings
    from tests.admin_forms import form_data, form_errors
    from tests.factories.accounts import staff_user
    from tests.factories.support import NotificationSettingsFactory

    client.force_login(staff_user(StaffRole.SUPPORT))
    ticket = TicketFactory(priority="low")
    url = reverse("admin:support_ticket_change", args=[ticket.pk])
    assert client.post(url, {**form_data(client, url, Ticket), "priority": "high"}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"

    settings = NotificationSettingsFactory()
    url = reverse("admin:support_notificationsettings_change", args=[settings.pk])
    data = {**form_data(client, url, NotificationSettings), "type_preferences": '{"weekly_digest": true}'}
    response = client.post(url, data)
    assert form_errors(response) == ["type_preferences: Unknown notification types: weekly_digest. (validation_error)"]
    settings.refresh_from_db()
    assert "weekly_digest" not in settings.type_preferences
