"""GET /api/v1/me/payments/ with real OAuth2 tokens: the player's own payments, wallet:read only."""

from decimal import Decimal

import pytest

from billing import services
from billing.gateways import ProviderEvent
from tests.api.conftest import error_code, player_token
from tests.factories.billing import CoinPackFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def paid_pack(customer):
    pack = CoinPackFactory(price=Decimal("4.99"))
    payment = services.create_payment(customer=customer, amount=pack.price, currency=pack.currency, coin_pack=pack)
    obj = {"object": "checkout.session", "client_reference_id": str(payment.public_id), "payment_status": "paid"}
    services.handle_event(
        gateway="sandbox", event=ProviderEvent(id=f"evt_{payment.pk}", type="checkout.session.completed", object=obj)
    )
    return payment


def test_the_player_sees_their_own_payments_only(world, api):
    mine = paid_pack(world.alice)
    PaymentFactory(customer=world.bob)
    body = api.get("/api/v1/me/payments/", token=world.a.player(world.alice)).json()
    assert [p["payment_id"] for p in body["results"]] == [str(mine.public_id)]
    shown = body["results"][0]
    assert shown["status"] == "completed" and shown["amount"] == "4.99" and shown["coins"] == "550.00"


def test_without_wallet_read_the_list_is_forbidden(world, api):
    token = player_token(world.a.code_app, world.alice, scope="profile:read")
    response = api.get("/api/v1/me/payments/", token=token)
    assert response.status_code == 403 and error_code(response) == "permission_denied"


def test_query_count_does_not_grow_with_payments(world, api, django_assert_max_num_queries):
    token = world.a.player(world.alice)
    for _ in range(2):
        PaymentFactory(customer=world.alice)
    with django_assert_max_num_queries(10):
        assert api.get("/api/v1/me/payments/", token=token).status_code == 200
    for _ in range(30):
        PaymentFactory(customer=world.alice)
    with django_assert_max_num_queries(10):
        assert len(api.get("/api/v1/me/payments/", token=token).json()["results"]) == 32
