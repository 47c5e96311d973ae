"""Who is calling: the token's scopes, the player it acts for, the studio its partner belongs to.

The kernel imports no app, so the caller's player and studio are read through the token's own
relations (`token.user.customer`, `token.application.partner`), once per request.
"""

from django.core.exceptions import ObjectDoesNotExist
from oauth2_provider.contrib.rest_framework import TokenHasScope
from rest_framework.permissions import BasePermission


class ScopedToken(TokenHasScope):
    """A valid OAuth2 token carrying every scope in the view's `required_scopes`."""

    def has_permission(self, request, view):
        allowed = super().has_permission(request, view)
        if not allowed and request.auth is not None:
            self.message = f"This token lacks a scope this endpoint needs: {' '.join(self.get_scopes(request, view))}."
        return allowed


class PlayerToken(BasePermission):
    """A token a player granted (authorization code): it acts for that player only."""

    message = "This endpoint needs a token granted by a player (authorization code with PKCE)."

    def has_permission(self, request, view):
        return player_of(request) is not None


class ClientToken(BasePermission):
    """A client-credentials token: the partner acting as itself."""

    message = "This endpoint needs a client-credentials token of the partner."

    def has_permission(self, request, view):
        token = request.auth
        return token is not None and getattr(token, "user_id", 1) is None


def player_of(request):
    """The player (accounts.Customer, with its user) a token acts for, or None: client credentials,
    or a user who is no player."""
    if not hasattr(request, "_api_player"):
        player = None
        user = getattr(request.auth, "user", None)
        if user is not None:
            try:
                player = user.customer
            except ObjectDoesNotExist:
                player = None
        request._api_player = player
    return request._api_player


def studio_id_of(request):
    """The studio whose games the calling partner application reaches (None: no games)."""
    if not hasattr(request, "_api_studio_id"):
        application = getattr(request.auth, "application", None)
        partner = getattr(application, "partner", None) if application is not None else None
        request._api_studio_id = partner.studio_id if partner is not None else None
    return request._api_studio_id
