"""Discord webhooks: URL validation, the template rendered safely, per-server or account-wide
routing by event kind, "send test", and delivery through the same outbox (Discord's wire format:
JSON `content`, 204 on success, 429 with Retry-After)."""

import json

import pytest
from werkzeug import Response

from support import services
from support.errors import ValidationFailed
from support.models import DeliveryStatus, DiscordWebhook, WebhookScope
from tests.factories.games import ServerFactory
from tests.factories.support import DiscordWebhookFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/api/webhooks/1/abc",
        "http://discord.com/api/webhooks/1/abc",
        "https://discord.com.evil.example/api/webhooks/1/abc",
        "https://discord.com/api/webhooks/",
    ],
)
def test_only_discord_webhook_urls_are_accepted(url):
    with pytest.raises(ValidationFailed):
        services.validate_webhook_url(url)


def test_templates_render_known_placeholders_and_never_ping_anyone():
    webhook = DiscordWebhookFactory(message_template="@everyone {{server}} is {{status}} {{__class__}}")
    payload = services.render_message(
        webhook=webhook, event_type="server.status", context={"server": "<@123> alpha", "status": "running"}
    )
    assert payload["content"] == "@everyone <@123> alpha is running {{__class__}}"
    assert payload["allowed_mentions"] == {"parse": []}


def test_unknown_placeholders_are_refused_when_saving():
    with pytest.raises(ValidationFailed) as refusal:
        services.validate_template("Hi {{password}}")
    assert refusal.value.details["field"] == "message_template"


def test_events_reach_account_wide_and_that_servers_webhooks_by_kind(django_capture_on_commit_callbacks):
    ticket = TicketFactory()
    owner = ticket.customer.user
    server = ServerFactory(customer=ticket.customer)
    other_server = ServerFactory(customer=ticket.customer)
    account = DiscordWebhookFactory(owner=owner)
    for_server = DiscordWebhookFactory(owner=owner, server=server, scope=WebhookScope.SERVER)
    DiscordWebhookFactory(owner=owner, server=other_server, scope=WebhookScope.SERVER)
    DiscordWebhookFactory(owner=owner, notify_server_events=False)
    with django_capture_on_commit_callbacks(execute=False):
        deliveries = services.enqueue_discord_event(
            owner=owner, event_type="server.status", key="s:1", context={"server": "a", "status": "up"}, server=server
        )
    assert {d.webhook for d in deliveries} == {account, for_server}


def test_send_test_posts_discords_format_and_marks_the_webhook_valid(httpserver, django_capture_on_commit_callbacks):
    webhook = DiscordWebhookFactory(webhook_url=httpserver.url_for("/api/webhooks/1/token"))
    httpserver.expect_request("/api/webhooks/1/token", method="POST").respond_with_response(Response(status=204))
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.send_discord_test(webhook=webhook)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    body = json.loads(httpserver.log[0][0].get_data(as_text=True))
    assert body["content"] == "This is a test message from NodeByte." and body["allowed_mentions"] == {"parse": []}
    assert DiscordWebhook.objects.get(pk=webhook.pk).status == "valid"


def test_a_rate_limited_discord_send_waits_as_told(httpserver, django_capture_on_commit_callbacks):
    webhook = DiscordWebhookFactory(webhook_url=httpserver.url_for("/api/webhooks/2/token"))
    httpserver.expect_request("/api/webhooks/2/token").respond_with_json(
        {"message": "You are being rate limited.", "retry_after": 64.0, "global": False},
        status=429,
        headers={"Retry-After": "64"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.send_discord_test(webhook=webhook)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert (delivery.next_attempt_at - delivery.created_at).total_seconds() >= 60


def test_a_staff_reply_reaches_the_players_ticket_webhooks(httpserver, django_capture_on_commit_callbacks):
    from tests.factories.accounts import staff_user

    ticket = TicketFactory()
    DiscordWebhookFactory(
        owner=ticket.customer.user, notify_tickets=True, webhook_url=httpserver.url_for("/api/webhooks/3/t")
    )
    httpserver.expect_request("/api/webhooks/3/t").respond_with_response(Response(status=204))
    with django_capture_on_commit_callbacks(execute=True):
        services.add_ticket_reply(ticket=ticket, author=staff_user("support"), message="On it")
    [(request, _response)] = httpserver.log
    assert ticket.subject in json.loads(request.get_data(as_text=True))["content"]


def test_a_player_adds_tests_and_removes_a_webhook_in_the_portal(httpserver, django_capture_on_commit_callbacks):
    from django.test import Client
    from django.urls import reverse

    from tests.factories.accounts import CustomerFactory

    customer = CustomerFactory()
    server = ServerFactory(customer=customer)
    player = Client()
    player.force_login(customer.user)
    url = reverse("portal:discord_webhooks")

    refused = player.post(url, {"name": "Alerts", "url": "https://evil.example/api/webhooks/1/x"})
    assert refused.status_code == 400 and "not a Discord webhook URL" in refused.content.decode()
    added = player.post(
        url,
        {
            "name": "Alerts",
            "url": "https://discord.com/api/webhooks/42/secret-token",
            "server": server.pk,
            "notify_tickets": "on",
            "message_template": "{{subject}} changed",
        },
    )
    assert added.status_code == 302
    webhook = DiscordWebhook.objects.get(owner=customer.user)
    assert webhook.server == server and webhook.scope == WebhookScope.SERVER
    assert webhook.notify_tickets and not webhook.notify_billing
    page = player.get(url).content.decode()
    assert "secret-token" not in page and "Alerts" in page

    other = CustomerFactory()
    intruder = Client()
    intruder.force_login(other.user)
    test_url = reverse("portal:discord_webhook_action", args=[webhook.pk, "test"])
    assert intruder.post(test_url).status_code == 404
    with django_capture_on_commit_callbacks(execute=False):
        assert player.post(test_url).status_code == 302
    assert webhook.deliveries.count() == 1
    player.post(reverse("portal:discord_webhook_action", args=[webhook.pk, "delete"]))
    assert not DiscordWebhook.objects.filter(pk=webhook.pk).exists()
