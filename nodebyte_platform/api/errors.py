"""The partner API's one error body, `{"error": {"code", "message", "details"}}`, and its schema.

Domain errors of every app (nodebyte_platform.errors.DomainError) bring their own `.code` and
`.http_status`; DRF's own errors get stable codes here.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from nodebyte_platform.errors import DomainError


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
