"""django-axes hooks: one login key whatever door the attempt came through, and one reading of
the client's address for axes and allauth alike.

Axes locks the (login key, client address) pair and nothing wider (AXES_LOCKOUT_PARAMETERS):
a stranger failing for someone's name locks only the stranger's own address, and failures for
names that belong to nobody lock nobody who exists.
"""

from django.core.exceptions import PermissionDenied


def login_key(request, credentials=None) -> str | None:
    """The name an attempt is counted under: the portal's `login` (username or email), the
    admin's `username`, or an OAuth2 client's `client_id`; lower-cased so case tricks share
    one counter, and an account's email address counted under its username so that switching
    between the two does not double the attempts."""
    credentials = credentials or {}
    key = None
    for field in ("username", "email", "login", "client_id"):
        if credentials.get(field):
            key = str(credentials[field])
            break
    else:
        data = getattr(request, "POST", None) or {}
        for field in ("login", "username", "client_id"):
            if data.get(field):
                key = str(data[field])
                break
    if key is None:
        return None
    key = key.strip().lower()
    if "@" in key and not credentials.get("client_id"):
        key = _username_of_email(key) or key
    return key


def _username_of_email(email: str) -> str | None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(email__iexact=email).values_list("username", flat=True)[:2]
    if len(users) != 1:
        users = EmailAddress.objects.filter(email__iexact=email).values_list("user__username", flat=True)[:2]
    return users[0].lower() if len(users) == 1 else None


def client_address(request) -> str | None:
    """The client's address as allauth reads it (AXES_CLIENT_IP_CALLABLE): REMOTE_ADDR, or, behind
    ALLAUTH_TRUSTED_PROXY_COUNT proxies (env TRUSTED_PROXY_COUNT), the X-Forwarded-For entry the
    outermost trusted proxy appended. Entries left of it came from the client and are ignored, so a
    client cannot name itself another address to escape its lock."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None
