"""Errors Django answers before (or instead of) a view, in the API's one error body under /api/ and /o/.

DRF renders errors raised inside API views; these cover the rest: an unknown route, a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, a server error, and a POST without its trailing slash (which
CommonMiddleware would answer with an HTML redirect that drops the body). Elsewhere (the portal,
the admin) Django's own pages answer.
"""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.middleware.common import CommonMiddleware
from django.views import defaults

API_PREFIXES = ("/api/", "/o/")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def error_response(status: int, code: str, message: str, details: dict | None = None) -> JsonResponse:
    # The same body as nodebyte_platform.api.error_body (which imports DRF; this module must not).
    return JsonResponse({"error": {"code": code, "message": message, "details": details or {}}}, status=status)


class ApiAwareCommonMiddleware(CommonMiddleware):
    """CommonMiddleware, but no slash-appending redirect under /api/ and /o/: a partner's POST to
    `/api/v1/sessions` gets a JSON 404 naming the right path, not a redirect that loses its body."""

    def should_redirect_with_slash(self, request):
        if is_api_path(request.path_info):
            return False
        return super().should_redirect_with_slash(request)


def not_found(request, exception=None):
    if not is_api_path(request.path):
        return defaults.page_not_found(request, exception)
    details = {}
    if not request.path.endswith("/"):
        details["did_you_mean"] = f"{request.path}/"
    return error_response(404, "not_found", "No such endpoint.", details)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        if is_api_path(request.path):
            return error_response(413, "payload_too_large", "The request body is too large.")
        return defaults.bad_request(request, exception)
    if not is_api_path(request.path):
        return defaults.bad_request(request, exception)
    return error_response(400, "bad_request", "The request is not valid.")


def permission_denied(request, exception=None):
    if not is_api_path(request.path):
        return defaults.permission_denied(request, exception)
    return error_response(403, "permission_denied", "You do not have permission to do this.")


def server_error(request):
    if not is_api_path(request.path):
        return defaults.server_error(request)
    return error_response(500, "server_error", "Something went wrong on our side; it has been logged.")
