"""The loyalty page (Django client) and /api/v1/me/loyalty/ give the same standing; queries stay flat."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import Asset, TransferKind
from ledger.services import issue
from loyalty import services
from loyalty.models import CurrencyType, RewardType
from tests.api.conftest import api, world  # noqa: F401  (the API's fixtures: real OAuth2 tokens)
from tests.factories.accounts import CustomerFactory

pytestmark = pytest.mark.django_db


def loyal_player(bonuses=1):
    customer = CustomerFactory()
    services.ensure_player_profile(customer=customer)
    issue(
        user=customer.user,
        asset=Asset.objects.get(code="LP"),
        amount="1200.00",
        kind=TransferKind.REWARD,
        initiator="system:test",
    )
    for _ in range(bonuses):
        services.issue_reward(
            customer=customer,
            reward_type=RewardType.BONUS_BALANCE,
            amount="5.00",
            currency_type=CurrencyType.BONUS,
            wagering_required="50.00",
            expiry_hours=24,
        )
    services.recompute_tiers()
    return customer


@pytest.mark.parametrize("bonuses", [1, 8])
def test_the_loyalty_page_queries_stay_flat(client, bonuses, django_assert_max_num_queries):
    customer = loyal_player(bonuses)
    client.force_login(customer.user)
    # Constant in the number of bonuses (1 or 8): Config reads and the page's fixed sections.
    with django_assert_max_num_queries(50):
        page = client.get(reverse("portal:loyalty"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="tier">Silver<' in body
    assert "3800.00 LP to Gold" in body
    assert body.count('data-testid="bonus"') == bonuses


def test_redeeming_more_lp_than_held_is_refused_with_its_code(client):
    customer = loyal_player()
    client.force_login(customer.user)
    page = client.post(
        reverse("portal:loyalty_redeem"), {"target": "RP", "lp_amount": "5000", "key": "k1"}, follow=True
    )
    assert "(insufficient_funds)" in page.content.decode()
    bad = client.post(reverse("portal:loyalty_redeem"), {"target": "EUR", "lp_amount": "1", "key": "k2"}, follow=True)
    assert "(validation_error)" in bad.content.decode()


def test_the_api_returns_the_standing_with_progress(api, world):  # noqa: F811
    customer = world.alice
    services.ensure_player_profile(customer=customer)
    issue(
        user=customer.user,
        asset=Asset.objects.get(code="LP"),
        amount="1200.00",
        kind=TransferKind.REWARD,
        initiator="system:test",
    )
    services.recompute_tiers()
    response = api.get("/api/v1/me/loyalty/", token=world.a.player(customer))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["tier"] == "SILVER"
    assert data["progress"]["next_tier"] == "GOLD"
    assert Decimal(data["progress"]["points_needed"]) == Decimal("3800.00")
    assert data["balances"]["LP"] == "1200.00"
