"""One saved row of every model registered on the admin site, third-party apps included.

Project models come from their factories (tests/factories/, enforced by tests/model_registry);
the libraries' models (allauth, axes, django-oauth-toolkit, django-celery-beat, auth groups)
are built here with the fields their admin pages show.
"""

import itertools
import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django.contrib import admin
from django.db.models import Model
from django.utils import timezone

from tests.model_registry import factories_by_model

_serial = itertools.count(1)


def _user():
    from tests.factories.accounts import UserFactory

    return UserFactory()


def _application():
    from tests.factories.accounts import PartnerApplicationFactory

    return PartnerApplicationFactory()


def _email_address():
    from allauth.account.models import EmailAddress

    user = _user()
    # The user factory may have recorded the address already (allauth's signal).
    address, _ = EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"primary": True})
    return address


def _group():
    from django.contrib.auth.models import Group

    return Group.objects.create(name=f"Walk group {next(_serial)}")


def _access_attempt():
    from axes.models import AccessAttempt

    return AccessAttempt.objects.create(
        username="bob",
        ip_address="203.0.113.7",
        user_agent="pytest",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="login=bob",
        failures_since_start=2,
    )


def _access_failure_log():
    from axes.models import AccessFailureLog

    return AccessFailureLog.objects.create(
        username="bob", ip_address="203.0.113.7", user_agent="pytest", http_accept="*/*", path_info="/accounts/login/"
    )


def _access_log():
    from axes.models import AccessLog

    return AccessLog.objects.create(
        username="bob", ip_address="203.0.113.7", user_agent="pytest", http_accept="*/*", path_info="/accounts/login/"
    )


def _clocked():
    from django_celery_beat.models import ClockedSchedule

    return ClockedSchedule.objects.create(clocked_time=timezone.now() + timedelta(days=1))


def _crontab():
    from django_celery_beat.models import CrontabSchedule

    # A timezone other than UTC: the value the audit snapshot once failed to serialise.
    return CrontabSchedule.objects.create(minute="5", hour="3", timezone=zoneinfo.ZoneInfo("Europe/Paris"))


def _interval():
    from django_celery_beat.models import IntervalSchedule

    return IntervalSchedule.objects.create(every=next(_serial), period=IntervalSchedule.MINUTES)


def _solar():
    from django_celery_beat.models import SolarSchedule

    return SolarSchedule.objects.create(event="sunrise", latitude=Decimal("48.85"), longitude=Decimal("2.35"))


def _periodic_task():
    from django_celery_beat.models import PeriodicTask

    return PeriodicTask.objects.create(
        name=f"walk task {next(_serial)}", task="ledger.reconcile_ledger", crontab=_crontab()
    )


def _authenticator():
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.create(user=_user(), type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})


def _grant():
    from oauth2_provider.models import get_grant_model

    return get_grant_model().objects.create(
        user=_user(),
        code=f"walk-code-{next(_serial)}",
        application=_application(),
        expires=timezone.now() + timedelta(minutes=5),
        redirect_uri="https://partner.example.test/callback",
        code_challenge="x" * 43,
        code_challenge_method="S256",
    )


def _access_token():
    from oauth2_provider.models import get_access_token_model

    return get_access_token_model().objects.create(
        user=_user(),
        application=_application(),
        token=f"walk-access-{next(_serial)}",
        expires=timezone.now() + timedelta(hours=1),
        scope="profile:read",
    )


def _id_token():
    from oauth2_provider.models import get_id_token_model

    return get_id_token_model().objects.create(
        user=_user(), application=_application(), expires=timezone.now() + timedelta(hours=1), scope="openid"
    )


def _refresh_token():
    from oauth2_provider.models import get_refresh_token_model

    access = _access_token()
    return get_refresh_token_model().objects.create(
        user=access.user, application=access.application, token=f"walk-refresh-{next(_serial)}", access_token=access
    )


def _social_app():
    from allauth.socialaccount.models import SocialApp

    return SocialApp.objects.create(
        provider="discord", name=f"Discord {next(_serial)}", client_id="client-id", secret="client-secret"
    )


def _social_account():
    from allauth.socialaccount.models import SocialAccount

    return SocialAccount.objects.create(user=_user(), provider="discord", uid=str(next(_serial)), extra_data={})


def _social_token():
    from allauth.socialaccount.models import SocialToken

    return SocialToken.objects.create(app=_social_app(), account=_social_account(), token="social-token")


def _user_session():
    from allauth.usersessions.models import UserSession

    return UserSession.objects.create(
        user=_user(), ip="203.0.113.7", session_key=f"walk-session-{next(_serial)}", user_agent="pytest"
    )


THIRD_PARTY_BUILDERS = {
    "account.EmailAddress": _email_address,
    "auth.Group": _group,
    "axes.AccessAttempt": _access_attempt,
    "axes.AccessFailureLog": _access_failure_log,
    "axes.AccessLog": _access_log,
    "django_celery_beat.ClockedSchedule": _clocked,
    "django_celery_beat.CrontabSchedule": _crontab,
    "django_celery_beat.IntervalSchedule": _interval,
    "django_celery_beat.PeriodicTask": _periodic_task,
    "django_celery_beat.SolarSchedule": _solar,
    "mfa.Authenticator": _authenticator,
    "oauth2_provider.AccessToken": _access_token,
    "oauth2_provider.Grant": _grant,
    "oauth2_provider.IDToken": _id_token,
    "oauth2_provider.RefreshToken": _refresh_token,
    "socialaccount.SocialAccount": _social_account,
    "socialaccount.SocialApp": _social_app,
    "socialaccount.SocialToken": _social_token,
    "usersessions.UserSession": _user_session,
}


def is_model(model) -> bool:
    """constance registers a settings page dressed as a model: it has no rows."""
    return isinstance(model, type) and issubclass(model, Model)


def registered_admins() -> list:
    """(model, model_admin) for everything on admin.site, in label order."""
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def make_object(model):
    """One saved row of `model`; fails loudly for a registered model nobody can build yet."""
    factory_class = factories_by_model().get(model)
    if factory_class is not None:
        return factory_class()
    builder = THIRD_PARTY_BUILDERS.get(model._meta.label)
    assert builder is not None, f"{model._meta.label} is on the admin site but tests/admin_objects.py cannot build one"
    return builder()


def latest_version(model, obj):
    """The id of obj's newest django-simple-history version (None for a model without history)."""
    if obj is None or not hasattr(model._meta, "simple_history_manager_attribute"):
        return None
    versions = getattr(obj, model._meta.simple_history_manager_attribute)  # this object's versions
    if not versions.exists():
        obj.save()  # rows seeded by a migration (tiers) have no version yet; an edit makes one
    return versions.latest("history_date").history_id
