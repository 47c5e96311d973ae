from django.urls import path

from games.api import catalog, economy, play, wallets

urlpatterns = [
    path("games/", catalog.GameListView.as_view(), name="api-games"),
    path("games/<str:game_id>/", catalog.GameDetailView.as_view(), name="api-game"),
    path("games/<str:game_id>/purchases/", economy.PurchaseView.as_view(), name="api-purchases"),
    path("games/<str:game_id>/credits/spend/", economy.CreditSpendView.as_view(), name="api-credits-spend"),
    path("games/<str:game_id>/credits/grant/", economy.CreditGrantView.as_view(), name="api-credits-grant"),
    path("me/wallets/", wallets.WalletListView.as_view(), name="api-wallets"),
    path("me/transactions/", wallets.TransactionListView.as_view(), name="api-transactions"),
    path("sessions/", play.SessionStartView.as_view(), name="api-sessions"),
    path("sessions/<str:session_id>/end/", play.SessionEndView.as_view(), name="api-session-end"),
    path("sessions/<str:session_id>/bets/", play.BetPlaceView.as_view(), name="api-bets"),
    path("bets/<str:bet_id>/settle/", play.BetSettleView.as_view(), name="api-bet-settle"),
]
