from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The kernel as an app: it owns the job runner's records (JobRun) and nothing of any domain."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "nodebyte_platform"
    verbose_name = "Platform"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from oauth2_provider.models import get_access_token_model

        from nodebyte_platform.api.auth import forget_cached_tokens

        # A revoked (deleted) or rewritten access token must not stay kept by any API process;
        # a token just issued is kept nowhere yet.
        def forget(sender, created=False, **kwargs):
            if not created:
                forget_cached_tokens()

        post_delete.connect(forget, sender=get_access_token_model(), weak=False, dispatch_uid="platform.tokens.delete")
        post_save.connect(forget, sender=get_access_token_model(), weak=False, dispatch_uid="platform.tokens.save")
