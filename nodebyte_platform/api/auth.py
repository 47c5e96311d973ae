"""Who is calling: the bearer token, its scopes, the player it acts for, the studio of its partner.

Access tokens are looked up once per process and kept (`CachedTokenAuthentication`): a token
row never changes after it is issued (rotation mints new ones), so only a revocation can make a
kept one wrong. Every revocation, and every change that must reach tokens already kept (a player
archived, a partner suspended: `forget_cached_tokens()`), bumps a generation counter in the
shared cache (Redis in production), which each request reads once; a process whose kept tokens
are older drops them. The token's player and studio are read through the relations named in
settings.PARTNER_API (the kernel imports no app).
"""

import functools
import hashlib
import logging
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.utils.module_loading import import_string
from drf_spectacular.contrib.django_oauth_toolkit import DjangoOAuthToolkitScheme
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from oauth2_provider.models import get_access_token_model
from rest_framework.permissions import BasePermission

from nodebyte_platform.api.throttling import budget_window, count_in_pipeline, redis_client
from nodebyte_platform.errors import DomainError

logger = logging.getLogger(__name__)
GENERATION_KEY = "api:token-generation"
MAX_KEPT_TOKENS = 20_000
_kept: OrderedDict[str, tuple[int, object]] = OrderedDict()


def _generation_and_count(request, application_id) -> int:
    """The token generation, and (with Redis, in the same round trip) this request's count in its
    application's throttle window, left on the request for ApplicationRateThrottle."""
    try:
        client = redis_client()
        window = budget_window(application_id) if application_id is not None else None
        if client is None or window is None:
            return cache.get(GENERATION_KEY, 0)
        key, duration, _allowed = window
        generation_key = cache.make_and_validate_key(GENERATION_KEY)
        pipeline = client.pipeline(transaction=False)
        pipeline.get(generation_key)
        count_in_pipeline(pipeline, key, duration)
        generation, count, _expiry = pipeline.execute()
        request._api_budget_count = int(count)
        return int(generation or 0)
    except Exception:  # the cache is down: keep nothing, look every token up
        logger.warning("cache unreachable: API tokens are looked up on every request", exc_info=True)
        return -1


def forget_cached_tokens() -> None:
    """Make every process drop the access tokens it keeps (after a revocation, or a change to a
    player or partner that must reach their tokens now)."""
    _kept.clear()
    try:
        cache.add(GENERATION_KEY, 0, timeout=None)
        cache.incr(GENERATION_KEY)
    except Exception:
        # Only this process forgot. A cache that cannot count cannot be read either, and then
        # every process looks each token up (`_generation` answers -1): logged, not raised.
        logger.exception("could not tell the API processes to forget their kept tokens")


def _load(checksum: str):
    related = settings.PARTNER_API["TOKEN_RELATED"]
    return (
        get_access_token_model()
        .objects.select_related("application", "user", *related)
        .filter(token_checksum=checksum)
        .first()
    )


class PartnerSuspended(DomainError):
    """The token's partner may not act now (suspended or inactive): its tokens answer 403."""

    code = "partner_suspended"
    http_status = 403


@functools.cache
def _refusal_of():
    return import_string(settings.PARTNER_API["APPLICATION_REFUSAL"])


def application_refusal(application) -> str | None:
    """Why `application` may not act now, as the apps say (settings.PARTNER_API), or None."""
    return _refusal_of()(application) if application is not None else None


class CachedTokenAuthentication(OAuth2Authentication):
    """OAuth2 bearer tokens from the Authorization header only (never the query string, RFC 9700),
    kept per process between requests: no query and no oauthlib round for a token seen before."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return None
        checksum = hashlib.sha256(raw.strip().encode("utf-8")).hexdigest()
        # The generation is always read before the row: a revocation landing between the two
        # leaves a newer generation behind, which the next request sees.
        kept = _kept.get(checksum)
        if kept is None:
            generation = _generation_and_count(request, None)
            token = _load(checksum)
        else:
            generation = _generation_and_count(request, kept[1].application_id)
            # Something was revoked since this process kept the token: read it again.
            token = kept[1] if kept[0] == generation else _load(checksum)
        if token is None:
            _kept.pop(checksum, None)
            request.oauth2_error = {"error": "invalid_token"}
            return None
        if generation >= 0:
            _kept[checksum] = (generation, token)
            _kept.move_to_end(checksum)
            if len(_kept) > MAX_KEPT_TOKENS:
                _kept.popitem(last=False)
        if token.is_expired() or (token.user_id is not None and not token.user.is_active):
            request.oauth2_error = {"error": "invalid_token", "error_description": "The access token expired."}
            return None
        refusal = application_refusal(token.application)
        if refusal:
            raise PartnerSuspended(refusal)
        return (token.user, token)


class CachedTokenScheme(DjangoOAuthToolkitScheme):
    """drf-spectacular: the same OAuth2 security scheme as django-oauth-toolkit's own class."""

    target_class = "nodebyte_platform.api.auth.CachedTokenAuthentication"


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
