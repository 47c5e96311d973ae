from django.urls import path

from games.api import views

urlpatterns = [
    path("games/", views.GameListView.as_view(), name="api-games"),
    path("games/<str:game_id>/", views.GameDetailView.as_view(), name="api-game"),
    path("games/<str:game_id>/purchases/", views.PurchaseView.as_view(), name="api-purchases"),
    path("games/<str:game_id>/credits/spend/", views.CreditSpendView.as_view(), name="api-credits-spend"),
    path("games/<str:game_id>/credits/grant/", views.CreditGrantView.as_view(), name="api-credits-grant"),
    path("me/wallets/", views.WalletListView.as_view(), name="api-wallets"),
    path("me/transactions/", views.TransactionListView.as_view(), name="api-transactions"),
    path("sessions/", views.SessionStartView.as_view(), name="api-sessions"),
    path("sessions/<str:session_id>/end/", views.SessionEndView.as_view(), name="api-session-end"),
    path("sessions/<str:session_id>/bets/", views.BetPlaceView.as_view(), name="api-bets"),
    path("bets/<str:bet_id>/settle/", views.BetSettleView.as_view(), name="api-bet-settle"),
]
