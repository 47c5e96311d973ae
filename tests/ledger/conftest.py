from decimal import Decimal

import pytest

from ledger.models import Asset
from ledger.services import issue
from tests.factories.accounts import CustomerFactory


@pytest.fixture
def coin(db):
    return Asset.objects.get(code="COIN")


@pytest.fixture
def funded(coin):
    """A player holding 100.00 COIN."""

    def make(amount="100.00"):
        user = CustomerFactory().user
        if Decimal(amount):
            issue(user=user, asset=coin, amount=amount, initiator="system:test")
        return user

    return make
