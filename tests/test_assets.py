"""ledger.selectors.asset: base assets by code, read once per process, never stale after a flush or
a change; credit assets always read; an unknown code is a domain error."""

import pytest
from django.core.management.sql import emit_post_migrate_signal

from ledger import selectors
from ledger.errors import UnknownAsset
from ledger.models import Asset
from tests.factories.games import CreditTypeFactory

pytestmark = pytest.mark.django_db


def test_a_base_asset_is_read_once_then_served_from_the_process(django_assert_num_queries):
    selectors.forget_assets()
    with django_assert_num_queries(1):
        coin = selectors.asset(code="COIN")
    with django_assert_num_queries(0):
        assert selectors.asset(code="COIN") is coin
    assert coin == Asset.objects.get(code="COIN") and coin.precision == 2


def test_an_unknown_code_is_refused_with_a_stable_code():
    with pytest.raises(UnknownAsset) as refused:
        selectors.asset(code="NOPE")
    assert refused.value.code == "unknown_asset" and refused.value.details == {"asset": "NOPE"}


def test_a_flush_or_a_change_empties_the_cache(django_assert_num_queries):
    selectors.asset(code="EUR")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # what a test flush ends with
    with django_assert_num_queries(1):
        selectors.asset(code="EUR")
    Asset.objects.filter(code="EUR").get().save(update_fields=["label"])
    with django_assert_num_queries(1):
        assert selectors.asset(code="EUR").code == "EUR"


def test_credit_assets_are_always_read_from_the_database(django_assert_num_queries):
    code = CreditTypeFactory().asset.code
    selectors.asset(code=code)
    with django_assert_num_queries(1):
        assert selectors.asset(code=code).code == code
