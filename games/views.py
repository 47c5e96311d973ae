"""The player's game shop: packages of game credits bought with GCoins (games.services.buy_package)."""

import contextlib
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.selectors import can_move_money, customer_of
from games.models import Package
from games.services import buy_package
from ledger.selectors import asset, balance_map
from nodebyte_platform.errors import DomainError


@login_required
def shop(request):
    customer = customer_of(request.user)
    if customer is None:
        raise Http404("Only players have a wallet.")
    if request.method == "POST":
        return _buy(request, customer)
    packages = list(
        Package.objects.filter(is_active=True, game__is_active=True)
        .select_related("game", "credit_type__asset")
        .order_by("game__name", "gcoin_value")
    )
    balances = balance_map(user=request.user)
    coin = asset(code="COIN")
    games = {}
    for package in packages:
        package.price = coin.format_amount(package.gcoin_value)
        games.setdefault(package.game, []).append(package)
    context = {
        "games": [
            {"game": game, "packages": items, "credits": balances.get(items[0].credit_type.asset.code)}
            for game, items in games.items()
        ],
        "coins": coin.format_amount(balances.get("COIN") or 0),
        # One token per page view: a double click or a resubmitted form buys once (the ledger replays it).
        "purchase_token": uuid.uuid4(),
    }
    return render(request, "games/shop.html", context)


def _buy(request, customer):
    package_id, token = request.POST.get("package", ""), None
    package = None
    if package_id.isdigit():
        package = (
            Package.objects.select_related("game", "credit_type__asset")
            .filter(pk=int(package_id), is_active=True, game__is_active=True)
            .first()
        )
    with contextlib.suppress(ValueError):
        token = uuid.UUID(request.POST.get("purchase_token", ""))
    if package is None or token is None:
        messages.error(request, "Choose a package from the list.")
    elif not can_move_money(request.user):
        messages.error(request, "Verify your email address before spending GCoins.")
    else:
        try:
            buy_package(customer=customer, package=package, idempotency_key=f"portal:{customer.player_id}:{token}")
        except DomainError as exc:
            messages.error(request, f"{exc.message} ({exc.code})")
        else:
            messages.success(
                request,
                f"You bought {package.label} for {package.game.name}: "
                f"{package.credit_value} {package.credit_type.label} for "
                f"{asset(code='COIN').format_amount(package.gcoin_value)} GCoins.",
            )
    return redirect("portal:shop")
