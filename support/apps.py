from django.apps import AppConfig


class SupportConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "support"

    def ready(self):
        # Reactions to the events of the apps below and of support itself (the wiring table).
        from support import reactions  # noqa: F401
