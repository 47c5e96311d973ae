"""Staff pages of the games app: the catalog (studio staff see their own studio's), play, hosting, integrations."""

from games.admin import catalog, play  # noqa: F401  (registers the admins)
from games.hosting import admin as hosting_admin  # noqa: F401  (registers hosting's admins)
