"""Partner API: the partner's games with their credit types and packages (catalog:read)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.generics import ListAPIView, RetrieveAPIView

from games import selectors
from games.api import serializers as s
from games.api.common import EXAMPLE_GAME_ID, GAME_ID
from games.models import Game
from nodebyte_platform.api.auth import studio_id_of
from nodebyte_platform.api.errors import READ_ERRORS, error_responses
from nodebyte_platform.api.views import PartnerView

GAME_EXAMPLE = {
    "game_id": EXAMPLE_GAME_ID,
    "name": "Star Quiz",
    "description": "Daily trivia with a leaderboard.",
    "type": "quiz",
    "metadata": {},
    "credit_types": [{"name": "gems", "label": "Gems", "asset": "CR-1", "exchange_rate": 10, "expiry_days": None}],
    "packages": [
        {
            "package_id": 1,
            "name": "gems-small",
            "label": "100 Gems",
            "credit_type": "gems",
            "credit_value": 100,
            "gcoin_value": "10.00",
        }
    ],
}


@extend_schema(
    tags=["catalog"],
    responses={200: s.GameOut(many=True), **error_responses(*READ_ERRORS)},
    # drf-spectacular wraps a list example into the list itself: one item is given.
    examples=[OpenApiExample("Games", value=GAME_EXAMPLE, response_only=True)],
)
class GameListView(PartnerView, ListAPIView):
    """The partner's games, each with its credit types and packages on sale."""

    required_scopes = ["catalog:read"]
    serializer_class = s.GameOut

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Game.objects.none()
        return selectors.studio_games(studio_id=studio_id_of(self.request))


@extend_schema(tags=["catalog"], parameters=[GAME_ID], responses={200: s.GameOut, **error_responses(*READ_ERRORS)})
class GameDetailView(PartnerView, RetrieveAPIView):
    """One of the partner's games by its guid; another studio's game answers 404."""

    required_scopes = ["catalog:read"]
    serializer_class = s.GameOut

    def get_object(self):
        studio_id = studio_id_of(self.request)
        selectors.game_of_studio(studio_id=studio_id, game_id=self.kwargs["game_id"])
        return selectors.studio_games(studio_id=studio_id).get(guid=self.kwargs["game_id"])
