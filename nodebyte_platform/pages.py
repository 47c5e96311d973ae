"""Portal pages that compose several apps (the player's home). Each app serves its own pages."""

from django.shortcuts import render

from accounts.selectors import customer_of, has_verified_email
from ledger.selectors import balances_of, user_postings

RECENT_HISTORY = 15


def home(request):
    """The landing page for visitors; for a player, their balances and latest ledger history."""
    if not request.user.is_authenticated:
        return render(request, "portal/landing.html")
    user = request.user
    context = {
        "customer": customer_of(user),
        "wallets": balances_of(user=user),
        "postings": list(user_postings(user=user)[:RECENT_HISTORY]),
        "email_verified": has_verified_email(user),
    }
    return render(request, "portal/home.html", context)
