"""django-allauth adapters: the platform's email policy and the archived-player rule."""

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
