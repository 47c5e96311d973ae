from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_default_tiers(sender, using="default", **kwargs):
    from django.db import connections

    from loyalty.models import Tier
    from loyalty.tiers import ensure_default_tiers

    # post_migrate also fires for a partial migrate, before the loyalty tables exist.
    if Tier._meta.db_table in connections[using].introspection.table_names():
        ensure_default_tiers(Tier)


class LoyaltyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "loyalty"

    def ready(self):
        # A test flush (TransactionTestCase) empties every table, data migrations' rows
        # included; like the ledger's base assets, the tiers come back on post_migrate.
        post_migrate.connect(_ensure_default_tiers, sender=self, dispatch_uid="loyalty.ensure_default_tiers")
        # Reactions to the events of the apps below (profiles, wagering, LP, metrics).
        from loyalty import reactions  # noqa: F401
