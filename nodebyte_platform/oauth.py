"""Partner OAuth2 policy on top of django-oauth-toolkit.

- Scope ceiling: an application may only ever hold scopes in its `allowed_scopes`; a token
  request asking for more is refused with `invalid_scope` (DOT's validate_scopes checks the
  requested set against `get_available_scopes`). With no scope asked, the application's
  `default_scopes` (within the ceiling) are granted.
- PKCE: required (PKCE_REQUIRED) and S256 only; "plain" is refused both when the
  authorization request is validated and, as a second lock, by DOT's RFC 9700 gate when the
  grant would be stored.
- Refresh-token rotation with a short grace period: a refresh racing another with the same
  token gets a pair of its own instead of a 500 (`_save_bearer_token`).
- A suspended or inactive partner (settings.PARTNER_API["APPLICATION_REFUSAL"]) gets no token
  and no consent page; its tokens already issued answer 403 partner_suspended (api.auth).
- Introspection (RFC 7662) answers a partner about its own tokens only: any other token is
  reported inactive, as an unknown one is (DOT answers any authenticated client about any token).
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views import View
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import IntrospectTokenView
from oauthlib.common import Request as OauthlibRequest


def _known() -> dict[str, str]:
    return settings.OAUTH2_PROVIDER["SCOPES"]


class PartnerScopes(BaseScopes):
    def get_all_scopes(self):
        return _known()

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(_known())
        return [s for s in _known() if s in application.allowed_scope_set]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(settings.OAUTH2_PROVIDER.get("DEFAULT_SCOPES", []))
        allowed = application.allowed_scope_set
        wanted = application.default_scope_set or set(settings.OAUTH2_PROVIDER.get("DEFAULT_SCOPES", []))
        return [s for s in _known() if s in wanted and s in allowed]


class PartnerOAuth2Validator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        """A suspended or inactive partner gets no token, by any grant."""
        _refuse_if_partner_may_not_act(client, request)
        return super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        """Nor does a player get asked to consent to a suspended partner's client."""
        _refuse_if_partner_may_not_act(client, request)
        return super().validate_response_type(client_id, response_type, client, request, *args, **kwargs)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """A refresh token superseded by a rotation less than OAUTH2_REFRESH_RETRY_GRACE_SECONDS ago
        is accepted once more; anything else as DOT decides (which revokes the family on reuse)."""
        rotated = _recently_rotated(refresh_token)
        if rotated is None:
            return super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        request.user = rotated.user
        request.refresh_token = refresh_token
        request.refresh_token_instance = rotated
        return rotated.application == client

    def _save_bearer_token(self, token, request, *args, **kwargs):
        """A refresh token rotated a moment ago (a concurrent refresh that waited on the lock, or
        a retry within the grace period) gets a fresh pair of its own in the same token family.

        DOT would hand back the earlier request's pair, but with RFC 9700 storage only checksums
        of tokens are kept: it answered a token that does not exist (and then failed looking it up,
        a 500). The earlier pair stays valid; a replay after the grace period still revokes the
        whole family (validate_refresh_token).
        """
        refresh_token = getattr(request, "refresh_token_instance", None)
        if token.get("refresh_token") and refresh_token is not None and self.rotate_refresh_token(request):
            refresh_token = get_refresh_token_model().objects.select_for_update().get(pk=refresh_token.pk)
            if refresh_token.revoked is not None:
                self._check_and_set_request_resource(request)
                expires = timezone.now() + timedelta(
                    seconds=token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
                )
                access_token = self._create_access_token(expires, request, token)
                self._create_refresh_token(request, token["refresh_token"], access_token, refresh_token)
                return
        super()._save_bearer_token(token, request, *args, **kwargs)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        # An empty scope set would mint a token that can do nothing; refuse it as a bad scope.
        return bool(scopes) and super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)

    def is_pkce_required(self, client_id, request):
        if getattr(request, "code_challenge_method", None) == "plain":
            from oauthlib.oauth2.rfc6749 import errors

            raise errors.InvalidRequestError(
                description='Unsupported "plain" code_challenge_method; use "S256".', request=request
            )
        return super().is_pkce_required(client_id, request)


class PartnerIntrospectTokenView(IntrospectTokenView):
    """RFC 7662 introspection for the calling partner's own tokens (issued to any of its applications).

    The caller authenticates as a client (HTTP Basic or client_id/client_secret in the body) or with
    a bearer token holding the `introspection` scope, as with DOT's view; a token of another partner
    answers `{"active": false}`, exactly like a token that does not exist, so nothing leaks.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method.upper() == "OPTIONS":
            return super().dispatch(request, *args, **kwargs)
        caller = self._calling_application(request)
        if caller is None:
            return JsonResponse(
                {"error": "invalid_client", "error_description": "Authenticate as the partner's client."}, status=401
            )
        request.introspecting_application = caller
        return View.dispatch(self, request, *args, **kwargs)

    def _calling_application(self, request):
        core = self.get_oauthlib_core()
        uri, http_method, body, headers = core._extract_params(request)
        client_request = OauthlibRequest(uri, http_method, body, headers)
        if core.server.request_validator.authenticate_client(client_request):
            return client_request.client
        valid, token_request = self.verify_request(request)
        if valid and token_request.access_token is not None:
            return token_request.access_token.application
        return None

    def get(self, request, *args, **kwargs):
        return self._own_token_response(request, request.GET.get("token"))

    def post(self, request, *args, **kwargs):
        return self._own_token_response(request, request.POST.get("token"))

    @staticmethod
    def _own_token_response(request, token_value):
        if token_value is not None:
            caller = request.introspecting_application
            checksum = hashlib.sha256(token_value.encode("utf-8")).hexdigest()
            token = get_access_token_model().objects.filter(token_checksum=checksum).select_related("application")
            token = token.first()
            if token is not None and not _same_partner(token.application, caller):
                return JsonResponse({"active": False}, status=200)
        return IntrospectTokenView.get_token_response(token_value)


def _same_partner(application, caller) -> bool:
    if application is None:
        return False
    if application.pk == caller.pk:
        return True
    return application.partner_id is not None and application.partner_id == caller.partner_id


def _recently_rotated(refresh_token: str):
    """The refresh token row if rotation superseded it within the retry grace period, else None."""
    checksum = hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()
    row = (
        get_refresh_token_model()
        .objects.filter(token_checksum=checksum, revoked__isnull=False)
        .order_by("-revoked")
        .first()
    )
    if row is None or row.revoked <= timezone.now() - timedelta(seconds=settings.OAUTH2_REFRESH_RETRY_GRACE_SECONDS):
        return None
    if get_refresh_token_model().objects.filter(token_checksum=checksum, revoked__isnull=True).exists():
        return None  # a live row answers for this token: DOT's own path
    # Superseded, not repudiated: a rotation consumed it to mint an access token. A token revoked
    # on purpose (/o/revoke/, the admin) never was, and is never honoured again (RFC 7009).
    if not get_access_token_model().objects.filter(source_refresh_token=row).exists():
        return None
    return row


def _refuse_if_partner_may_not_act(client, request) -> None:
    from oauthlib.oauth2.rfc6749 import errors

    from nodebyte_platform.api.auth import application_refusal

    refusal = application_refusal(client)
    if refusal:
        raise errors.UnauthorizedClientError(description=refusal, request=request)
