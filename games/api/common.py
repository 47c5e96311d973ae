"""What every games endpoint shares: path parameters, schema examples, the game of the calling studio."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from games import selectors
from nodebyte_platform.api.auth import studio_id_of

GAME_ID = OpenApiParameter("game_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The game's guid.")
SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
BET_ID = OpenApiParameter("bet_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
EXAMPLE_GAME_ID = "7d4b1c0e-58e8-4d36-9a57-0f0c1b8f2a11"
EXAMPLE_PLAYER_ID = "3f1d2c4b-8a9e-4f70-b1c2-d3e4f5a6b7c8"
EXAMPLE_TRANSACTION_ID = "b6a1f0de-2c3b-4d5e-8f90-a1b2c3d4e5f6"
EXAMPLE_SESSION_ID = "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
EXAMPLE_BET_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
EXAMPLE_TIME = "2026-01-15T12:00:00Z"


class OfCallersStudio:
    """For endpoints under /games/{game_id}/: the game, if it is the calling partner's studio's (else 404)."""

    def get_target(self, game_id):
        return selectors.game_of_studio(studio_id=studio_id_of(self.request), game_id=game_id)
