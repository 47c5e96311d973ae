"""The player's support pages; nodebyte_platform/portal_urls.py puts them in the "portal" namespace."""

from django.urls import path

from support import views

urlpatterns = [
    path("support/", views.ticket_list, name="tickets"),
    path("support/new/", views.ticket_new, name="ticket_new"),
    path("support/tickets/<uuid:public_id>/", views.ticket_detail, name="ticket"),
    path("support/tickets/<uuid:public_id>/close/", views.ticket_close, name="ticket_close"),
    path("support/files/<uuid:public_id>/", views.attachment_download, name="ticket_attachment"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read-all/", views.notification_read_all, name="notifications_read_all"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/<uuid:public_id>/read/", views.notification_read, name="notification_read"),
    path("notifications/discord/", views.discord_webhooks, name="discord_webhooks"),
    path("notifications/discord/<int:pk>/<str:action>/", views.discord_webhook_action, name="discord_webhook_action"),
]
