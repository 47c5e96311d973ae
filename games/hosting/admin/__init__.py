"""Staff pages of hosting: panel mirrors, servers with their lifecycle, integrations, sync logs, drift."""

from games.hosting.admin import drift, integrations, mirrors  # noqa: F401  (registers the admins)
