from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


def _ensure_base_assets(sender, using="default", **kwargs):
    from django.db import connections

    from ledger.services import ensure_base_assets
    from ledger.services.wallets import forget_system_wallets

    forget_system_wallets()  # a flush may have emptied the table they came from
    # Only once the ledger tables exist (post_migrate also fires for a partial `migrate app 0001`).
    if "ledger_asset" in connections[using].introspection.table_names():
        ensure_base_assets()


class LedgerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ledger"

    def ready(self):
        # A test flush (TransactionTestCase) empties every table, data migrations' rows included:
        # recreating the base assets on post_migrate keeps COIN & co. there for the next test.
        post_migrate.connect(_ensure_base_assets, sender=self, dispatch_uid="ledger.ensure_base_assets")
        # ledger.selectors.asset keeps base assets per process: never past a flush or a change of one.
        from ledger.models import Asset
        from ledger.selectors import forget_assets

        post_migrate.connect(forget_assets, dispatch_uid="ledger.forget_assets")
        post_save.connect(forget_assets, sender=Asset, dispatch_uid="ledger.forget_assets_on_save")
        post_delete.connect(forget_assets, sender=Asset, dispatch_uid="ledger.forget_assets_on_delete")
        # Reactions to the events of accounts (a new player's COIN wallet).
        from ledger import reactions  # noqa: F401
