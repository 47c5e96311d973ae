"""Request guards of the accounts app.

- StaffMFAMiddleware: staff reach /admin/ only after setting up TOTP (setting
  STAFF_REQUIRE_MFA, default on).
- TokenEndpointLockoutMiddleware: django-axes for the OAuth2 token endpoint, whose client
  authentication does not go through Django's authenticate(): a client failing to
  authenticate is counted under (client_id, client address) like a failed login, and a
  locked pair is refused before the endpoint runs, with an OAuth 2.0 error body.
"""

import base64
import binascii
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode


class StaffMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "STAFF_REQUIRE_MFA", True) and self._needs_totp(request):
            messages.warning(request, "Staff must set up two-factor authentication before using the back office.")
            url = reverse("mfa_activate_totp") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(url)
        return self.get_response(request)

    @staticmethod
    def _needs_totp(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return False
        admin_root = reverse("admin:index")
        if not request.path.startswith(admin_root) or request.path.startswith(reverse("admin:logout")):
            return False
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def _client_id(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header.split(" ", 1)[1]).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return unquote_plus(decoded.split(":", 1)[0]) or None
    return request.POST.get("client_id") or None


def token_lockout_response() -> JsonResponse:
    """The token endpoint's answer to a locked (client_id, address) pair, in RFC 6749 section 5.2's
    shape. `invalid_client` because client authentication is what is refused (section 5.2 defines
    no other code for it; `temporarily_unavailable` belongs to the authorization endpoint only);
    429 with Retry-After rather than 401, so a partner's server backs off instead of concluding
    that a secret it holds is wrong. Retry-After is the whole cool-off: the latest it ends."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = JsonResponse(
        {
            "error": "invalid_client",
            "error_description": (
                "Too many failed client authentications from this address; "
                f"try again in {seconds} seconds at the latest."
            ),
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


class TokenEndpointLockoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != reverse("oauth2_provider:token"):
            return self.get_response(request)
        from axes.handlers.proxy import AxesProxyHandler

        client_id = _client_id(request)
        if not client_id:
            return self.get_response(request)
        credentials = {"client_id": client_id}
        AxesProxyHandler.update_request(request)
        if AxesProxyHandler.is_locked(request, credentials):
            return token_lockout_response()
        response = self.get_response(request)
        if response.status_code == 401 or b'"invalid_client"' in (getattr(response, "content", b"") or b""):
            AxesProxyHandler.user_login_failed(
                sender=TokenEndpointLockoutMiddleware, credentials=credentials, request=request
            )
            if getattr(request, "axes_locked_out", False):
                return token_lockout_response()
        return response
