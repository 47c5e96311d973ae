"""Partner OAuth2 policy on top of django-oauth-toolkit.

- Scope ceiling: an application may only ever hold scopes in its `allowed_scopes`; a token
  request asking for more is refused with `invalid_scope` (DOT's validate_scopes checks the
  requested set against `get_available_scopes`). With no scope asked, the application's
  `default_scopes` (within the ceiling) are granted.
- PKCE: required (PKCE_REQUIRED) and S256 only; "plain" is refused both when the
  authorization request is validated and, as a second lock, by DOT's RFC 9700 gate when the
  grant would be stored.
"""

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes


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
