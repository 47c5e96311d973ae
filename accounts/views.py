"""The player's account pages (the home page composes several apps: nodebyte_platform.pages)."""

from allauth.account.views import SignupView
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.usersessions.models import UserSession
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from accounts.selectors import customer_of, has_verified_email


@login_required
def account(request):
    user = request.user
    customer = customer_of(user)
    social_accounts = list(SocialAccount.objects.filter(user=user))
    linked = {a.provider for a in social_accounts}
    providers = [
        app
        for app in SocialApp.objects.filter(provider__in=["discord", "google"]).order_by("provider")
        if app.provider not in linked
    ]
    invite_url = None
    if customer is not None:
        invite_url = request.build_absolute_uri(reverse("portal:join", args=[customer.referral_code]))
    context = {
        "customer": customer,
        "invite_url": invite_url,
        "email_verified": has_verified_email(user),
        "social_accounts": social_accounts,
        "providers": providers,
        "has_totp": Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
        "session_count": UserSession.objects.filter(user=user).count(),
        "invitee_count": customer.invitees.count() if customer else 0,
    }
    return render(request, "accounts/account.html", context)


def join(request, code: str):
    """An invitation link: the sign-up page with the inviter's referral code filled in."""
    return SignupView.as_view(initial={"referral_code": code[:64]})(request)
