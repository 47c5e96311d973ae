"""Partners, their OAuth2 applications and token upkeep."""

from django.db import transaction

from accounts.errors import InvalidPartnerKind, InvalidScope, InvalidStudio


@transaction.atomic
def create_partner(*, name: str, kind: str = "studio", studio=None, user=None, description: str = ""):
    """A partner business; a studio partner is bound to its studio."""
    from accounts.models import Partner, PartnerKind

    if kind not in PartnerKind.values:
        raise InvalidPartnerKind(f"Unknown partner kind {kind!r}.")
    if kind == PartnerKind.STUDIO and studio is None:
        raise InvalidStudio("A studio partner needs a studio.")
    return Partner.objects.create(name=name, kind=kind, studio=studio, user=user, description=description)


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
    redirect_uris: str = "",
):
    """A confidential OAuth2 client of `partner`. `client_secret` is given in clear and stored
    hashed by django-oauth-toolkit, so the caller must show it now: it cannot be read back."""
    from django.conf import settings

    from accounts.models import PartnerApplication

    allowed, default = set(allowed_scopes), set(default_scopes)
    unknown = (allowed | default) - set(settings.OAUTH2_SCOPES)
    if unknown:
        raise InvalidScope(f"Unknown scopes: {', '.join(sorted(unknown))}.")
    if not default <= allowed:
        raise InvalidScope("Default scopes must be among the allowed scopes.")
    application = PartnerApplication(
        partner=partner,
        name=name,
        client_type=PartnerApplication.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant_type,
        client_secret=client_secret,
        redirect_uris=redirect_uris,
        allowed_scopes=" ".join(sorted(allowed)),
        default_scopes=" ".join(sorted(default)),
    )
    if client_id:
        application.client_id = client_id
    application.save()
    return application


def clear_expired_oauth_tokens() -> None:
    """Delete expired access and refresh tokens, grants and ID tokens (django-oauth-toolkit)."""
    from oauth2_provider.models import clear_expired

    clear_expired()
