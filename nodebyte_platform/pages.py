"""Portal pages that compose several apps (the player's home). Each app serves its own pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.selectors import customer_of, has_verified_email
from games.hosting.selectors import servers_of
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


@login_required
def my_servers(request):
    """A player's game servers: status, node and location, limits, address, and the subscription billing keeps."""
    customer = customer_of(request.user)
    servers = list(servers_of(customer=customer).select_related("subscription__product__currency")) if customer else []
    return render(request, "portal/servers.html", {"customer": customer, "servers": servers})
