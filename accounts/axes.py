"""django-axes hooks: one login key whatever door the attempt came through."""


def login_key(request, credentials=None) -> str | None:
    """The name an attempt is counted under: the portal's `login` (username or email), the
    admin's `username`, or an OAuth2 client's `client_id`; lower-cased so case tricks share
    one counter."""
    credentials = credentials or {}
    for key in ("username", "email", "login", "client_id"):
        if credentials.get(key):
            return str(credentials[key]).strip().lower()
    data = getattr(request, "POST", None) or {}
    for key in ("login", "username", "client_id"):
        if data.get(key):
            return str(data[key]).strip().lower()
    return None
