from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles_after_migrate(sender, **kwargs):
    # post_migrate fires once per app; the last app's turn comes after every app's
    # permissions exist, so the role Groups pick up models added by any app.
    if sender.label != list(apps.get_app_configs())[-1].label:
        return
    from accounts.services import sync_roles

    sync_roles()


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from allauth.account.signals import user_signed_up

        from accounts import receivers

        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
        user_signed_up.connect(receivers.make_player_on_signup, dispatch_uid="accounts.player_on_signup")
