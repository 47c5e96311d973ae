"""Factories for every support model. Accounts objects come from tests.factories.accounts (lazy paths)."""

import factory

from support import models as m
from support.webhooks.signing import new_secret

CUSTOMER = "tests.factories.accounts.CustomerFactory"
USER = "tests.factories.accounts.UserFactory"


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Ticket

    customer = factory.SubFactory(CUSTOMER)
    subject = factory.Sequence(lambda n: f"Server {n} will not start")
    message = "It crashes on boot since this morning."
    category = m.TicketCategory.TECHNICAL
    priority = m.TicketPriority.MEDIUM


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Department
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Queue {n}")
    slug = factory.Sequence(lambda n: f"queue-{n}")
    categories = factory.LazyFunction(list)


class CannedReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.CannedReply

    title = factory.Sequence(lambda n: f"Canned answer {n}")
    body = "Hello {{customer_name}}, thanks for writing about “{{ticket_subject}}”. {{agent_name}}"


class TicketAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.TicketAttachment

    ticket = factory.SubFactory(TicketFactory)
    uploaded_by = factory.LazyAttribute(lambda o: o.ticket.customer.user)
    file = factory.django.FileField(filename="crash.log", data=b"java.lang.OutOfMemoryError\n")
    original_name = "crash.log"
    content_type = "text/plain"
    size = 27


class TicketReplyFactory(factory.django.DjangoModelFactory):
    """A reply by the ticket's own customer."""

    class Meta:
        model = m.TicketReply

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda o: o.ticket.customer.user)
    message = "Any news on this?"
    is_internal = False


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Notification

    user = factory.SubFactory(USER)
    type = m.NotificationType.LOW_BALANCE
    title = "Your balance is low"
    message = "Your EUR balance fell below 10.00."
    action_url = "/wallet/"


class NotificationSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.NotificationSettings

    user = factory.SubFactory(USER)
    notification_email = factory.LazyAttribute(lambda o: o.user.email)
    type_preferences = factory.LazyFunction(lambda: {"low_balance": True, "promotional": False})


class DiscordWebhookFactory(factory.django.DjangoModelFactory):
    """An account-wide webhook; pass `server=` together with `scope=WebhookScope.SERVER`."""

    class Meta:
        model = m.DiscordWebhook

    owner = factory.SubFactory(USER)
    name = factory.Sequence(lambda n: f"Alerts {n}")
    webhook_url = factory.Sequence(lambda n: f"https://discord.com/api/webhooks/{1000 + n}/secret-token-{n}")
    scope = m.WebhookScope.ACCOUNT
    server = None


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.WebhookEndpoint

    application = factory.SubFactory("tests.factories.accounts.PartnerApplicationFactory")
    url = factory.Sequence(lambda n: f"https://hooks.partner.example/nodebyte/{n}")
    event_types = factory.LazyFunction(lambda: ["payment.completed"])
    secret = factory.LazyFunction(new_secret)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.WebhookDelivery

    webhook = factory.SubFactory(DiscordWebhookFactory)
    event = "server.suspended"
    dedupe_key = factory.Sequence(lambda n: f"server.suspended:{n}")
    payload = factory.LazyFunction(lambda: {"content": "Your server was suspended."})
    message_id = factory.Sequence(lambda n: f"msg_factory{n}")


__all__ = [
    "CannedReplyFactory",
    "DepartmentFactory",
    "DiscordWebhookFactory",
    "TicketAttachmentFactory",
    "WebhookEndpointFactory",
    "NotificationFactory",
    "NotificationSettingsFactory",
    "TicketFactory",
    "TicketReplyFactory",
    "WebhookDeliveryFactory",
]
