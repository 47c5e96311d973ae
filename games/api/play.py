"""Partner API: game sessions (free or metered per minute), bets placed for the player, settled by the game's server."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status

from games import selectors, services
from games.api import serializers as s
from games.api.common import (
    BET_ID,
    EXAMPLE_BET_ID,
    EXAMPLE_GAME_ID,
    EXAMPLE_PLAYER_ID,
    EXAMPLE_SESSION_ID,
    EXAMPLE_TIME,
    SESSION_ID,
)
from nodebyte_platform.api.auth import ClientToken, PlayerToken, ScopedToken, player_of, studio_id_of
from nodebyte_platform.api.errors import WRITE_ERRORS, error_responses
from nodebyte_platform.api.views import IDEMPOTENCY_KEY_PARAMETER, IdempotentWriteView

SESSION_EXAMPLE = OpenApiExample(
    "Session",
    value={
        "session_id": EXAMPLE_SESSION_ID,
        "game_id": EXAMPLE_GAME_ID,
        "player_id": EXAMPLE_PLAYER_ID,
        "status": "in_progress",
        "metered": True,
        "asset": "COIN",
        "price_per_minute": "0.50",
        "reserved_amount": "2.50",
        "total_cost": None,
        "started_at": EXAMPLE_TIME,
        "ended_at": None,
        "duration_seconds": None,
        "result": "",
        "score": None,
    },
    response_only=True,
)


def _session_scope(request):
    """With a player token, only that player's sessions and bets; with client credentials, the studio's."""
    return {"studio_id": studio_id_of(request), "customer": player_of(request)}


@extend_schema(
    tags=["sessions"],
    parameters=[IDEMPOTENCY_KEY_PARAMETER],
    request=s.SessionStartIn,
    responses={201: s.SessionOut, **error_responses(*WRITE_ERRORS)},
    examples=[
        OpenApiExample(
            "Metered session",
            value={"game_id": EXAMPLE_GAME_ID, "price_per_minute": "0.50", "asset": "COIN"},
            request_only=True,
        ),
        SESSION_EXAMPLE,
    ],
)
class SessionStartView(IdempotentWriteView):
    """Start a session for the player; with price_per_minute it is metered and reserves its first minutes."""

    required_scopes = ["sessions:write"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.SessionStartIn

    def write(self, data, target):
        game = selectors.game_of_studio(studio_id=studio_id_of(self.request), game_id=data["game_id"])
        session = services.start_session(
            customer=self.player,
            game=game,
            application=self.request.auth.application,
            price_per_minute=data.get("price_per_minute"),
            asset=selectors.playable_asset(game=game, code=data.get("asset")),
            content_id=data["content_id"],
            content_title=data["content_title"],
            platform=data["platform"],
            metadata=data["metadata"],
        )
        return s.SessionOut(session).data


@extend_schema(
    tags=["sessions"],
    parameters=[SESSION_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.SessionEndIn,
    responses={200: s.SessionOut, **error_responses(*WRITE_ERRORS)},
    examples=[OpenApiExample("End", value={"result": "win", "score": "120"}, request_only=True), SESSION_EXAMPLE],
)
class SessionEndView(IdempotentWriteView):
    """End a running session; a metered one is charged every started minute and the rest is released."""

    required_scopes = ["sessions:write"]
    serializer_class = s.SessionEndIn
    write_status = status.HTTP_200_OK

    def get_target(self, session_id):
        return selectors.session_for(session_id=session_id, **_session_scope(self.request))

    def write(self, data, session):
        ended = services.end_session(
            session=session, result=data["result"], score=data["score"], forfeit=data["forfeit"], when=timezone.now()
        )
        return s.SessionOut(ended).data


BET_EXAMPLE = OpenApiExample(
    "Bet",
    value={
        "bet_id": EXAMPLE_BET_ID,
        "session_id": EXAMPLE_SESSION_ID,
        "asset": "COIN",
        "amount": "5.00",
        "choice": "red",
        "odds": "2.0000",
        "max_payout": "10.00",
        "status": "placed",
        "outcome": "",
        "payout": "0.00",
        "placed_at": EXAMPLE_TIME,
        "settled_at": None,
    },
    response_only=True,
)


@extend_schema(
    tags=["sessions"],
    parameters=[SESSION_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.BetIn,
    responses={201: s.BetOut, **error_responses(*WRITE_ERRORS)},
    examples=[
        OpenApiExample("Place at odds", value={"amount": "5.00", "choice": "red", "odds": "2.00"}, request_only=True),
        OpenApiExample(
            "Place with a maximum payout", value={"amount": "5.00", "max_payout": "50.00"}, request_only=True
        ),
        BET_EXAMPLE,
    ],
)
class BetPlaceView(IdempotentWriteView):
    """Place a bet in the player's running session: the stake leaves the player's wallet.

    The bet declares its decimal odds or its maximum payout; a win is never paid more. The game must
    take bets in the asset (staff set its limits) and the maximum payout stays within its cap per bet.
    """

    required_scopes = ["sessions:write"]
    permission_classes = [ScopedToken, PlayerToken]
    serializer_class = s.BetIn

    def get_target(self, session_id):
        return selectors.session_for(session_id=session_id, **_session_scope(self.request))

    def write(self, data, session):
        bet = services.place_bet(
            session=session,
            amount=data["amount"],
            asset=selectors.playable_asset(game=session.game, code=data.get("asset")),
            odds=data.get("odds"),
            max_payout=data.get("max_payout"),
            choice=data["choice"],
            application=self.request.auth.application,
        )
        return s.BetOut(bet).data


@extend_schema(
    tags=["sessions"],
    parameters=[BET_ID, IDEMPOTENCY_KEY_PARAMETER],
    request=s.BetSettleIn,
    responses={200: s.BetOut, **error_responses(*WRITE_ERRORS)},
    examples=[OpenApiExample("Win", value={"outcome": "win", "payout": "10.00"}, request_only=True), BET_EXAMPLE],
)
class BetSettleView(IdempotentWriteView):
    """Settle a bet once: record the outcome and credit the payout. A second settle answers 409.

    Settlement belongs to the game's server: a client-credentials token of the game's own studio with
    `bets:settle` (a token a player granted is refused, whatever its scopes). A win pays at most the
    bet's declared maximum (`invalid_payout`) and within the game's cap per bet and the house's
    exposure limit for the period (`payout_cap_exceeded`, `exposure_limit_exceeded`: refused, and
    staff are shown a finding).
    """

    required_scopes = ["bets:settle"]
    permission_classes = [ScopedToken, ClientToken]
    serializer_class = s.BetSettleIn
    write_status = status.HTTP_200_OK

    def get_target(self, bet_id):
        return selectors.bet_for(bet_id=bet_id, studio_id=studio_id_of(self.request))

    def write(self, data, bet):
        settled = services.settle_bet(
            bet=bet, outcome=data["outcome"], payout=data.get("payout"), application=self.request.auth.application
        )
        return s.BetOut(settled).data
