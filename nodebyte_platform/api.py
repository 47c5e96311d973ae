"""Shared machinery of the partner API v1: error body, permissions, idempotency, pagination, throttling.

Every error answers with one body, `{"error": {"code", "message", "details"}}`, and a
stable code: domain errors (ledger and games) bring their own `.code` and `.http_status`.
"""

import base64
import hashlib
import json
import time

from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from oauth2_provider.contrib.rest_framework import TokenHasScope
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from nodebyte_platform.errors import DomainError

# --- Errors -------------------------------------------------------------------------


class IdempotencyKeyRequired(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "This request moves money: send an Idempotency-Key header (at most 255 characters)."
    default_code = "idempotency_key_required"


class IdempotencyConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency_conflict"


_API_CODES = [
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "validation_error"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
]


def error_body(code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details if details is not None else {}}}


def _message_and_details(exc: exceptions.APIException):
    detail = exc.detail
    if isinstance(detail, dict | list):
        return "The request is not valid.", _plain(detail)
    return str(detail), {}


def _plain(detail):
    if isinstance(detail, dict):
        return {key: _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(value) for value in detail]
    return str(detail)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every known error in the one body; anything else stays a 500."""
    # Imported here: this module is named in DEFAULT_PERMISSION_CLASSES, which rest_framework.views loads.
    from rest_framework.views import set_rollback

    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    code = getattr(exc, "default_code", "error")
    for exc_class, api_code in _API_CODES:
        if isinstance(exc, exc_class):
            code = api_code
            break
    message, details = _message_and_details(exc)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
        details = {"retry_after_seconds": int(exc.wait)}
    set_rollback()
    return Response(error_body(code, message, details), status=exc.status_code, headers=headers)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. insufficient_funds.")
    message = serializers.CharField()
    details = serializers.JSONField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERROR_EXAMPLES = {
    400: ("validation_error", "The request is not valid.", {"amount": ["A valid number is required."]}),
    401: ("not_authenticated", "Authentication credentials were not provided.", {}),
    403: ("permission_denied", "This token lacks a scope this endpoint needs.", {"required_scopes": ["wallet:read"]}),
    404: ("not_found", "Not found.", {}),
    409: (
        "insufficient_funds",
        "Insufficient COIN balance.",
        {"asset": "COIN", "available": "5.00", "required": "10.00"},
    ),
    429: ("throttled", "Request was throttled.", {"retry_after_seconds": 12}),
}


def error_responses(*statuses: int) -> dict:
    """Schema responses for the error statuses an endpoint can answer, each with an example body."""
    responses = {}
    for code in statuses:
        api_code, message, details = _ERROR_EXAMPLES[code]
        responses[code] = OpenApiResponse(
            ErrorSerializer,
            description=api_code,
            examples=[OpenApiExample(api_code, value=error_body(api_code, message, details), status_codes=[code])],
        )
    return responses


READ_ERRORS = (400, 401, 403, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 429)

# --- Request bodies -----------------------------------------------------------------

MAX_JSON_DEPTH = 32


class StrictJSONParser(JSONParser):
    """JSON that every layer below can hold: no NUL character and no lone surrogate in any key or
    string (PostgreSQL's jsonb and text refuse them, a 500 once stored), nesting at most
    MAX_JSON_DEPTH deep (Python's parser recurses: deep enough, it raises RecursionError)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        problem = _unstorable(data)
        if problem:
            raise exceptions.ParseError(problem)
        return data


def _unstorable(data) -> str | None:
    """Why `data` cannot be stored as sent, or None. Iterative: the depth is the thing being checked."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
        if isinstance(value, dict):
            for key, item in value.items():
                if not _storable_text(key):
                    return "A JSON key holds a NUL character or an unpaired surrogate."
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and not _storable_text(value):
            return "A JSON string holds a NUL character or an unpaired surrogate."
    return None


def _storable_text(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. "\ud800"
        return False
    return True


# --- Permissions --------------------------------------------------------------------


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
        return player_user_id(request) is not None


class ClientToken(BasePermission):
    """A client-credentials token: the partner acting as itself."""

    message = "This endpoint needs a client-credentials token of the partner."

    def has_permission(self, request, view):
        token = request.auth
        return token is not None and getattr(token, "user_id", 1) is None


class _TTLCache:
    """A small per-process cache for facts that hardly ever change (which user is a player, an app's studio).

    It saves a query on every API request; an entry lives `ttl` seconds, so a partner moved to
    another studio is seen within a minute.
    """

    def __init__(self, ttl: float, size: int = 10_000):
        self.ttl, self.size, self.entries = ttl, size, {}

    def get(self, key, load):
        now = time.monotonic()
        entry = self.entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = (now + self.ttl, value)
        return value


_players = _TTLCache(ttl=60)
_studios = _TTLCache(ttl=60)


def player_user_id(request):
    """The user id of the player a token acts for, or None (client credentials, or a user who is no player)."""
    from accounts.models import Customer

    user_id = getattr(request.auth, "user_id", None)
    if user_id is None:
        return None
    # Being a player never ends (a Customer row is never deleted), so caching "yes" is safe.
    is_player = _players.get(user_id, lambda: Customer.objects.filter(user_id=user_id).exists())
    return user_id if is_player else None


def player_of(request):
    """The Customer a player token acts for (with its user), or None."""
    from accounts.models import Customer

    if not hasattr(request, "_api_player"):
        user_id = player_user_id(request)
        request._api_player = (
            Customer.objects.select_related("user").filter(user_id=user_id).first() if user_id is not None else None
        )
    return request._api_player


def studio_id_of(request):
    """The studio whose games the calling partner application reaches (None: no games)."""
    from accounts.models import PartnerApplication

    application_id = getattr(request.auth, "application_id", None)
    if application_id is None:
        return None
    return _studios.get(
        application_id,
        lambda: (
            PartnerApplication.objects.filter(pk=application_id).values_list("partner__studio_id", flat=True).first()
        ),
    )


# --- Idempotency --------------------------------------------------------------------

IDEMPOTENCY_KEY_MAX_LENGTH = 255
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
    location=OpenApiParameter.HEADER,
    required=True,
    description="Unique per request (a UUID), 1 to 255 characters. A replay returns the first response; "
    "the same key with a different request answers 409 idempotency_conflict.",
)


def _fingerprint(request) -> str:
    body = {
        "method": request.method,
        "path": request.path,
        "user": getattr(request.auth, "user_id", None),
        "body": request.data,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def idempotency_key_of(request) -> str:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise IdempotencyKeyRequired()
    return key


def _replay(record, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict(detail=IdempotencyConflict.default_detail)
    return Response(record.response_body, status=record.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent(request, handler) -> Response:
    """Run `handler(key) -> (status, body)` once per (application, Idempotency-Key); a replay
    answers the first response, a different request under the same key 409."""
    from games.services.idempotency import run_once

    def answer(key):
        try:
            return handler(key)
        except DomainError as exc:
            if not exc.recorded:
                raise  # rolls the record back: the key may be retried
            # The refusal left a record (a finding) that must stand: keep it, and the refusal as the answer.
            return exc.http_status, error_body(exc.code, exc.message, exc.details)

    fingerprint = _fingerprint(request)
    record, status_code, body = run_once(
        application=request.auth.application,
        key=idempotency_key_of(request),
        fingerprint=fingerprint,
        method=request.method,
        path=request.path,
        handler=answer,
    )
    if record is not None:
        return _replay(record, fingerprint)
    return Response(body, status=status_code)


# --- Lists and rates ----------------------------------------------------------------


class CursorPage(CursorPagination):
    """Cursor pages of at most `max_page_size`; a bad `cursor` or `page_size` is a 400, never a 404 or 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            # DRF's own decoding skips characters outside base64, so "%%%" would read as the first page.
            if encoded is not None:
                base64.b64decode(encoded.encode("ascii"), validate=True)
            cursor = super().decode_cursor(request)
        except (exceptions.NotFound, ValueError, UnicodeEncodeError):  # binascii.Error is a ValueError
            cursor = False
        # The cursor's position is compared with the first ordering field (a moment): a position
        # that is no moment would fail in the database instead of here.
        if cursor is False or (cursor is not None and cursor.position is not None and not _is_moment(cursor.position)):
            raise exceptions.ValidationError(
                {self.cursor_query_param: ["This cursor is not valid; start again without it."]}
            )
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


def _is_moment(value: str) -> bool:
    try:
        return parse_datetime(value) is not None
    except ValueError:
        return False


class ApplicationRateThrottle(SimpleRateThrottle):
    """One budget per OAuth2 application (API_THROTTLE_RATE), counted in the default cache (Redis when set).

    A fixed-window counter: one atomic increment per request, whatever the rate. (DRF's own
    sliding window pickles the list of every request time in the window on each request,
    which costs more the higher the rate.)
    """

    scope = "application"

    def get_rate(self):
        # Read at call time so a settings change (and tests) take effect without a restart.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        application_id = getattr(request.auth, "application_id", None)
        ident = f"app:{application_id}" if application_id else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.wait_seconds = self.duration - (now % self.duration)
        bucket = f"{self.get_cache_key(request, view)}:{window}"
        return self._count(bucket) <= self.num_requests

    def _count(self, bucket: str) -> int:
        redis_backend = getattr(self.cache, "_cache", None)
        if isinstance(self.cache, RedisCache) and redis_backend is not None:
            # One round trip: increment, and start the window's expiry on its first request.
            key = self.cache.make_and_validate_key(bucket)
            pipeline = redis_backend.get_client(key, write=True).pipeline(transaction=False)
            pipeline.incr(key)
            pipeline.expire(key, int(self.duration) + 1, nx=True)
            return int(pipeline.execute()[0])
        try:
            return self.cache.incr(bucket)
        except ValueError:  # first request of the window
            return 1 if self.cache.add(bucket, 1, self.duration + 1) else self.cache.incr(bucket)

    def wait(self):
        return max(1.0, self.wait_seconds)


def clear_caches() -> None:
    """Forget the per-process lookups (tests, where a rolled-back id may be handed out again)."""
    _players.entries.clear()
    _studios.entries.clear()
