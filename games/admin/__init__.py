"""Staff pages of the games app: the catalog (studio staff see their own studio's), play, hosting, integrations."""

from games.admin import catalog, hosting, integrations, play  # noqa: F401  (registers the admins)
