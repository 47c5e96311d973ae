"""The player's game shop: GCoins become a game's credits in one ledger transfer, once per click."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.models import Transfer, TransferKind, Wallet
from tests.api.conftest import fund
from tests.factories.accounts import CustomerFactory
from tests.factories.games import CreditTypeFactory, PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def player(client):
    customer = CustomerFactory()
    fund(customer, "25.00")
    client.force_login(customer.user)
    return customer


def balance(customer, code):
    wallet = Wallet.objects.filter(owner=customer.user, asset__code=code).first()
    return wallet.balance if wallet else Decimal("0")


def shop_form(client):
    page = client.get(reverse("portal:shop")).content.decode()
    return page, re.search(r'name="purchase_token" value="([^"]+)"', page).group(1)


def test_the_shop_lists_packages_by_game_and_a_purchase_moves_coins_to_credits(client, player):
    package = PackageFactory(
        credit_type=CreditTypeFactory(game__name="Pixel Quest", label="Gold"), label="Gold pile", credit_value=500
    )
    page, token = shop_form(client)
    assert "Pixel Quest" in page and "Gold pile" in page and "Buy for 10.00 GCoins" in page

    response = client.post(reverse("portal:shop"), {"package": package.pk, "purchase_token": token}, follow=True)
    assert "You bought Gold pile for Pixel Quest: 500 Gold for 10.00 GCoins." in response.content.decode()
    assert balance(player, "COIN") == Decimal("15.00")
    assert balance(player, package.credit_type.asset.code) == Decimal("500")
    assert Transfer.objects.filter(kind=TransferKind.PURCHASE).count() == 1


def test_the_same_form_sent_twice_buys_once(client, player):
    package = PackageFactory()
    _, token = shop_form(client)
    for _ in range(2):
        client.post(reverse("portal:shop"), {"package": package.pk, "purchase_token": token})
    assert Transfer.objects.filter(kind=TransferKind.PURCHASE).count() == 1
    assert balance(player, "COIN") == Decimal("15.00")


def test_not_enough_coins_is_said_and_nothing_moves(client, player):
    package = PackageFactory(gcoin_value=Decimal("30.00"))
    _, token = shop_form(client)
    response = client.post(reverse("portal:shop"), {"package": package.pk, "purchase_token": token}, follow=True)
    assert "insufficient_funds" in response.content.decode()
    assert balance(player, "COIN") == Decimal("25.00")
    assert not Transfer.objects.filter(kind=TransferKind.PURCHASE).exists()


@pytest.mark.parametrize("field", ["package", "purchase_token"])
def test_a_bad_form_is_refused_with_a_message(client, player, field):
    package = PackageFactory()
    _, token = shop_form(client)
    data = {"package": package.pk, "purchase_token": token, field: "nonsense"}
    response = client.post(reverse("portal:shop"), data, follow=True)
    assert response.status_code == 200 and "Choose a package from the list." in response.content.decode()
    assert not Transfer.objects.filter(kind=TransferKind.PURCHASE).exists()


def test_the_shop_page_queries_stay_flat_with_more_games(client, player):
    PackageFactory()
    client.get(reverse("portal:shop"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("portal:shop"))
    for _ in range(5):
        PackageFactory()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("portal:shop"))
    assert len(many) == len(few)
