"""Staff roles as data: role -> the permissions its Group holds.

Each rule is (app_label pattern, model pattern, actions), patterns in fnmatch style, actions
from {"view", "add", "change", "delete", "custom"} ("custom": the model's own extra
permissions) or "*" for every permission of the model, plus single codenames given as
"codename:<name>". Rules are matched against every model's permissions at sync time, so a
model another app adds later is covered as soon as `manage.py sync_roles` (or `migrate`, which
runs the sync from a post_migrate handler) runs.

Studio scoping is not a permission: the studio role's rows are narrowed to its own studio by
accounts.admin_base.PlatformModelAdmin (`studio_lookup`); a model whose admin names no
`studio_lookup` stays hidden from studio staff whatever the permissions say.
"""

ALL = ("view", "add", "change", "delete", "custom")
# "custom": every permission of the model beyond the four defaults (approve, reverse...).
EVERYTHING = ("*",)
READ = ("view",)
EDIT = ("view", "change")
WRITE = ("view", "add", "change")

ROLES: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    # Everything, third-party apps included (social apps, OAuth clients, schedules, config),
    # and so the only role holding `accounts.erase_customer` (erasing a player cannot be undone).
    "admin": [("*", "*", EVERYTHING)],
    "support": [
        # Archive and edit players; erasing them (erase_customer, a "custom" permission) is the admin's.
        ("accounts", "customer", EDIT),
        # See the portal as the player sees it while answering them (read-only, 15 minutes, audited).
        ("accounts", "customer", ("codename:impersonate_customer",)),
        ("accounts", "impersonation", READ),
        ("accounts", "user", READ),
        ("accounts", "auditentry", READ),
        ("account", "emailaddress", READ),
        ("socialaccount", "socialaccount", READ),
        # Unlock a player locked out by django-axes (delete the attempt row).
        ("axes", "accessattempt", ("view", "delete")),
        ("axes", "accessfailurelog", READ),
        # Tickets and their replies are the record of what a player was told: never deleted by support.
        # Nothing of support is deleted by support: what was said, sent and delivered stays on record.
        ("support", "ticket", WRITE),
        ("support", "ticketreply", WRITE),
        ("support", "ticketattachment", READ),
        ("support", "department", WRITE),
        ("support", "cannedreply", WRITE),
        ("support", "notification", READ),
        ("support", "notificationsettings", EDIT),
        ("support", "discordwebhook", WRITE),
        ("support", "webhookendpoint", WRITE),
        # Change: the replay action (ReadOnlyAdmin's "operate").
        ("support", "webhookdelivery", EDIT),
        ("accounts", "partnerapplication", READ),
        ("usersessions", "usersession", READ),
        ("ledger", "*", READ),
        ("billing", "*", READ),
        ("loyalty", "*", READ),
        ("games", "game", READ),
        ("games", "server", READ),
        ("games", "gamesession", READ),
        # Suspend, unsuspend and reinstall a player's server on the panel (creating and terminating stay the admin's).
        ("games", "server", ("codename:operate_server",)),
    ],
    "accounting": [
        # Reconciliation is theirs to watch: the job runs (starting jobs stays with the admin role).
        ("nodebyte_platform", "jobrun", READ),
        ("accounts", "customer", READ),
        ("accounts", "auditentry", READ),
        # No delete: ledger rows are append-only; mistakes are reversed.
        ("ledger", "*", (*WRITE, "custom")),
        ("billing", "*", ALL),
        ("loyalty", "*", READ),
        ("games", "*", READ),
    ],
    "studio": [
        ("games", "studio", READ),
        ("games", "game", EDIT),
        ("games", "credittype", WRITE),
        ("games", "package", WRITE),
        ("games", "gamesession", READ),
        # Bets, and the limits, exposure and findings platform staff keep on the studio's games.
        ("games", "bet*", READ),
        ("games", "server", READ),
        ("games", "server*", READ),
        ("games", "hytalegamesession", READ),
        ("games", "historical*", READ),
    ],
}

ROLE_NAMES = tuple(ROLES)


def group_name(role: str) -> str:
    """The Django Group that carries a role's permissions."""
    return f"role:{role}"
