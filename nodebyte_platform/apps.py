from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The kernel as an app: it owns the job runner's records (JobRun) and nothing of any domain."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "nodebyte_platform"
    verbose_name = "Platform"
