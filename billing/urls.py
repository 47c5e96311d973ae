"""The player's money pages; nodebyte_platform/portal_urls.py puts them in the "portal" namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("pay/coins/", views.coin_shop, name="coin-shop"),
    path("pay/top-up/", views.top_up, name="top-up"),
    path("pay/payments/", views.payments, name="payments"),
    path("pay/payments/<uuid:public_id>/", views.payment_result, name="payment"),
    path("pay/payments/<uuid:public_id>/receipt/", views.receipt, name="receipt"),
    path("pay/sandbox/<uuid:public_id>/", views.sandbox_checkout, name="sandbox-checkout"),
    path("pay/cards/", views.cards, name="cards"),
    path("pay/cards/<int:pk>/remove/", views.remove_card, name="remove-card"),
    path("pay/auto-top-up/", views.auto_top_up, name="auto-top-up"),
    path("pay/withdrawals/", views.withdrawals, name="withdrawals"),
    path("pay/withdrawals/<uuid:public_id>/", views.withdrawal, name="withdrawal"),
]

# Outside the portal (no namespace, no login): the providers' event endpoints.
webhook_urlpatterns = [
    path("webhooks/stripe/", views.stripe_webhook, name="stripe-webhook"),
    path("webhooks/sandbox/", views.sandbox_events, name="sandbox-events"),
]
