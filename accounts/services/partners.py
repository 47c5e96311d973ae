"""Partners, their OAuth2 applications and token upkeep.

Rules: a studio partner is bound to its studio for good (its clients act on that studio's games,
so moving it would hand them another studio's); an application's scopes are all known to the
platform and its default scopes lie within its allowed ones (the ceiling no token passes); a
client-credentials client is confidential (RFC 6749, 4.4); narrowing the ceiling revokes the
tokens that hold a scope it no longer allows, so "a token never carries a scope outside it" stays
true after the change.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.errors import InvalidPartnerKind, InvalidScope, InvalidStudio, ValidationFailed
from accounts.models import Partner, PartnerApplication, PartnerKind, PartnerStatus, PlatformType
from nodebyte_platform.api.auth import forget_cached_tokens
from nodebyte_platform.updates import save_changes


def _partner_values(*, name: str, kind: str, studio, user, type: str, description: str, status: str) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A partner needs a name.", details={"field": "name"})
    if kind not in PartnerKind.values:
        raise InvalidPartnerKind(f"Unknown partner kind {kind!r}.", details={"field": "kind"})
    if kind == PartnerKind.STUDIO and studio is None:
        raise InvalidStudio("A studio partner needs a studio.", details={"field": "studio"})
    if type not in ("", *PlatformType.values):
        raise ValidationFailed(f"Unknown platform type {type!r}.", details={"field": "type"})
    if status not in PartnerStatus.values:
        raise ValidationFailed(f"Unknown partner status {status!r}.", details={"field": "status"})
    return {
        "name": name,
        "kind": kind,
        "studio": studio,
        "user": user,
        "type": type,
        "description": description or "",
        "status": status,
    }


@transaction.atomic
def create_partner(
    *,
    name: str,
    kind: str = "studio",
    studio=None,
    user=None,
    description: str = "",
    type: str = "",
    status: str = PartnerStatus.ACTIVE,
) -> Partner:
    """A partner business; a studio partner is bound to its studio."""
    values = _partner_values(
        name=name, kind=kind, studio=studio, user=user, type=type, description=description, status=status
    )
    return Partner.objects.create(**values)


@transaction.atomic
def update_partner(
    *, partner: Partner, name: str, kind: str, studio, user, type: str, description: str, status: str
) -> Partner:
    locked = Partner.objects.select_for_update().get(pk=partner.pk)
    if locked.studio_id is not None and getattr(studio, "pk", None) != locked.studio_id:
        raise InvalidStudio(
            "A partner stays with its studio: its clients act on that studio's games.", details={"field": "studio"}
        )
    save_changes(
        locked,
        **_partner_values(
            name=name, kind=kind, studio=studio, user=user, type=type, description=description, status=status
        ),
    )
    # API processes keep tokens with their partner: a suspension must reach them at once.
    transaction.on_commit(forget_cached_tokens)
    return locked


def _scopes(allowed_scopes, default_scopes) -> tuple[str, str]:
    """The ceiling and the defaults as stored (sorted, space-separated), once both are checked."""
    allowed, default = set(_split(allowed_scopes)), set(_split(default_scopes))
    unknown = (allowed | default) - set(settings.OAUTH2_SCOPES)
    if unknown:
        raise InvalidScope(f"Unknown scopes: {', '.join(sorted(unknown))}.", details={"field": "allowed_scopes"})
    if not default <= allowed:
        raise InvalidScope("Default scopes must be among the allowed scopes.", details={"field": "default_scopes"})
    return " ".join(sorted(allowed)), " ".join(sorted(default))


def _split(scopes) -> list[str]:
    return scopes.split() if isinstance(scopes, str) else list(scopes)


def _checked_client(application: PartnerApplication) -> None:
    """django-oauth-toolkit's own checks (redirect URIs, origins, algorithms), then the grant's."""
    if (
        application.authorization_grant_type == PartnerApplication.GRANT_CLIENT_CREDENTIALS
        and application.client_type != PartnerApplication.CLIENT_CONFIDENTIAL
    ):
        raise ValidationFailed(
            "A client-credentials client must be confidential: it proves itself with its secret.",
            details={"field": "client_type"},
        )
    try:
        application.clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValidationFailed(" ".join(messages), details={"field": field})


@transaction.atomic
def create_partner_application(
    *,
    partner,
    name: str,
    client_secret: str,
    allowed_scopes,
    default_scopes=("catalog:read",),
    client_id: str = "",
    grant_type: str = "client-credentials",
    client_type: str = PartnerApplication.CLIENT_CONFIDENTIAL,
    redirect_uris: str = "",
    post_logout_redirect_uris: str = "",
    allowed_origins: str = "",
    skip_authorization: bool = False,
    user=None,
) -> PartnerApplication:
    """An OAuth2 client of `partner`. `client_secret` is given in clear and stored hashed by
    django-oauth-toolkit, so the caller must show it now: it cannot be read back."""
    allowed, default = _scopes(allowed_scopes, default_scopes)
    application = PartnerApplication(
        partner=partner,
        user=user,
        name=name,
        client_type=client_type,
        authorization_grant_type=grant_type,
        client_secret=client_secret,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        allowed_origins=allowed_origins,
        skip_authorization=bool(skip_authorization),
        allowed_scopes=allowed,
        default_scopes=default,
    )
    if client_id:
        application.client_id = client_id
    _checked_client(application)
    application.save()
    return application


def _revoke_tokens_beyond(application: PartnerApplication, ceiling: set[str]) -> int:
    """Revoke the application's tokens holding a scope outside `ceiling`; returns how many."""
    from oauth2_provider.models import get_access_token_model

    revoked = 0
    for token in get_access_token_model().objects.filter(application=application).select_related("refresh_token"):
        if set(token.scope.split()) - ceiling:
            refresh = getattr(token, "refresh_token", None)
            if refresh is not None:
                refresh.revoke()  # revokes its access token with it
            else:
                token.revoke()
            revoked += 1
    return revoked


@transaction.atomic
def update_partner_application(
    *,
    application: PartnerApplication,
    name: str,
    partner,
    user,
    client_type: str,
    grant_type: str,
    redirect_uris: str,
    post_logout_redirect_uris: str,
    allowed_origins: str,
    allowed_scopes,
    default_scopes,
    skip_authorization: bool,
) -> PartnerApplication:
    """Change a client's settings under the same rules as its creation. Its id and secret stay."""
    locked = PartnerApplication.objects.select_for_update().get(pk=application.pk)
    allowed, default = _scopes(allowed_scopes, default_scopes)
    narrowed = locked.allowed_scope_set - set(allowed.split())
    values = {
        "name": name,
        "partner": partner,
        "user": user,
        "client_type": client_type,
        "authorization_grant_type": grant_type,
        "redirect_uris": redirect_uris,
        "post_logout_redirect_uris": post_logout_redirect_uris,
        "allowed_origins": allowed_origins,
        "skip_authorization": bool(skip_authorization),
        "allowed_scopes": allowed,
        "default_scopes": default,
    }
    for field, value in values.items():
        setattr(locked, field, value)
    _checked_client(locked)
    locked.refresh_from_db(fields=list(values))  # compare against what is stored, then write the changes
    save_changes(locked, **values)
    if narrowed:
        _revoke_tokens_beyond(locked, set(allowed.split()))
    return locked


def clear_expired_oauth_tokens() -> None:
    """Delete expired access and refresh tokens, grants and ID tokens (django-oauth-toolkit)."""
    from oauth2_provider.models import clear_expired

    clear_expired()
