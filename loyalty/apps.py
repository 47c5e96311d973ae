from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_default_tiers(sender, using="default", **kwargs):
    from django.db import connections

    from loyalty.models import Tier
    from loyalty.tiers import ensure_default_tiers

    # post_migrate also fires for a partial migrate, before the loyalty tables exist.
    if Tier._meta.db_table in connections[using].introspection.table_names():
        ensure_default_tiers(Tier)


def _count_wagering(sender, bet, **kwargs):
    from loyalty.services import record_wagering

    record_wagering(bet=bet)


class LoyaltyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "loyalty"

    def ready(self):
        # A test flush (TransactionTestCase) empties every table, data migrations' rows
        # included; like the ledger's base assets, the tiers come back on post_migrate.
        post_migrate.connect(_ensure_default_tiers, sender=self, dispatch_uid="loyalty.ensure_default_tiers")
        # A settled bet (games, below us) advances the wagering of the player's bonuses.
        from games.signals import bet_settled

        bet_settled.connect(_count_wagering, dispatch_uid="loyalty.count_wagering")
