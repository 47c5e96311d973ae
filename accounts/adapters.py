"""django-allauth adapters: the platform's email policy, the archived-player rule, and which limiter
locks password logins (django-axes, see accounts.axes)."""

import re

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings


def email_matches_policy(email: str) -> bool:
    return re.fullmatch(settings.ACCOUNTS_EMAIL_PATTERN, email or "", flags=re.IGNORECASE) is not None


def email_policy_error() -> forms.ValidationError:
    return forms.ValidationError(
        "This email address is not accepted here: it must match the pattern %(pattern)s.",
        code="email_pattern",
        params={"pattern": settings.ACCOUNTS_EMAIL_PATTERN},
    )


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        if not email_matches_policy(email):
            raise email_policy_error()
        return email

    def pre_authenticate(self, request, **credentials):
        """Password logins are counted by django-axes alone, on the (login, client address) pair.

        allauth's own failed-login limiter (ACCOUNT_RATE_LIMITS "login_failed") counts per login
        across every address, and per address across every login: five strangers failing for a
        player's name locked the player out everywhere, and behind a proxy ten failures for junk
        names locked out everyone. It also kept a pair locked after staff unlocked it in admin.
        The same limiter still counts MFA codes per user (allauth.mfa calls it directly)."""

    def pre_login(self, request, user, **kwargs):
        customer = getattr(user, "customer", None)
        if customer is not None and customer.is_archived:
            return self.respond_user_inactive(request, user)
        return super().pre_login(request, user, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        email = sociallogin.user.email
        if email and not email_matches_policy(email):
            return False
        return super().is_open_for_signup(request, sociallogin)
