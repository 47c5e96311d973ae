"""Coin packs: what the coin shop sells. A pack is priced in a fiat currency, in its places."""

from django.db import transaction

from billing.errors import ValidationFailed
from billing.models import CoinPack
from ledger.models import Asset, AssetKind
from ledger.selectors import asset as asset_by_code
from ledger.services import to_amount
from nodebyte_platform.updates import save_changes


def _values(*, name, currency: Asset, price, coins, bonus_coins, is_active, sort_order) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("A coin pack needs a name.", details={"field": "name"})
    if currency is None or currency.kind != AssetKind.FIAT:
        raise ValidationFailed("A coin pack is priced in a fiat currency.", details={"field": "currency"})
    coin = asset_by_code(code="COIN")
    bonus = to_amount(bonus_coins or 0, asset=coin, positive=False)
    if bonus < 0:
        raise ValidationFailed("Bonus coins are 0 or more.", details={"field": "bonus_coins"})
    return {
        "name": name,
        "currency": currency,
        "price": to_amount(price, asset=currency),
        "coins": to_amount(coins, asset=coin),
        "bonus_coins": bonus,
        "is_active": bool(is_active),
        "sort_order": int(sort_order or 0),
    }


def create_coin_pack(
    *, name: str, currency: Asset, price, coins, bonus_coins=0, is_active: bool = True, sort_order: int = 0
) -> CoinPack:
    values = _values(
        name=name,
        currency=currency,
        price=price,
        coins=coins,
        bonus_coins=bonus_coins,
        is_active=is_active,
        sort_order=sort_order,
    )
    with transaction.atomic():
        return CoinPack.objects.create(**values)


def update_coin_pack(
    *, coin_pack: CoinPack, name: str, currency: Asset, price, coins, bonus_coins, is_active: bool, sort_order: int
) -> CoinPack:
    """Each change is a version in the pack's history; payments keep the coins they were sold with."""
    values = _values(
        name=name,
        currency=currency,
        price=price,
        coins=coins,
        bonus_coins=bonus_coins,
        is_active=is_active,
        sort_order=sort_order,
    )
    with transaction.atomic():
        locked = CoinPack.objects.select_for_update().get(pk=coin_pack.pk)
        save_changes(locked, **values)
        return locked
