"""Support's models: tickets, notifications, webhooks and their deliveries."""

from support.models.notifications import Channel, EmailStatus, Notification, NotificationSettings, NotificationType
from support.models.tickets import (
    PRIORITY_LADDER,
    CannedReply,
    Department,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketPriority,
    TicketReply,
    TicketStatus,
)
from support.models.webhooks import (
    DeliveryStatus,
    DiscordWebhook,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookScope,
    WebhookStatus,
)

__all__ = [
    "PRIORITY_LADDER",
    "CannedReply",
    "Channel",
    "DeliveryStatus",
    "Department",
    "DiscordWebhook",
    "EmailStatus",
    "Notification",
    "NotificationSettings",
    "NotificationType",
    "Ticket",
    "TicketAttachment",
    "TicketCategory",
    "TicketPriority",
    "TicketReply",
    "TicketStatus",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookScope",
    "WebhookStatus",
]
