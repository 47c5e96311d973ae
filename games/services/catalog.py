"""Writes of the games app: catalog, economy (purchases, credits), sessions and bets."""

import uuid

from django.db import transaction

from games.models import CreditType, Game, Package, Studio
from ledger.models import Asset, AssetKind
from ledger.services import ensure_system_wallets, to_amount


@transaction.atomic
def create_game(*, studio: Studio, name: str, description: str = "", type: str = "other", metadata=None) -> Game:
    return Game.objects.create(studio=studio, name=name, description=description, type=type, metadata=metadata or {})


@transaction.atomic
def create_credit_type(*, game: Game, name: str, label: str, exchange_rate: int, expiry_days=None) -> CreditType:
    """A game currency with its own ledger asset `CR-<id>` (precision 0) and system wallets."""
    # The asset must exist before the credit type that points at it, and its code
    # needs the credit type's id, so it starts under a unique placeholder code.
    asset = Asset.objects.create(
        code=f"CR-new-{uuid.uuid4().hex[:20]}", kind=AssetKind.CREDIT, precision=0, label=label
    )
    credit_type = CreditType.objects.create(
        game=game, asset=asset, name=name, label=label, exchange_rate=exchange_rate, expiry_days=expiry_days
    )
    asset.code = f"CR-{credit_type.pk}"
    asset.save(update_fields=["code"])
    ensure_system_wallets(asset=asset)
    return credit_type


@transaction.atomic
def create_package(*, credit_type: CreditType, name: str, label: str, credit_value: int, gcoin_value) -> Package:
    coin = Asset.objects.get(code="COIN")
    return Package.objects.create(
        game=credit_type.game,
        credit_type=credit_type,
        name=name,
        label=label,
        credit_value=credit_value,
        gcoin_value=to_amount(gcoin_value, asset=coin),
    )


@transaction.atomic
def create_studio(*, name: str) -> Studio:
    return Studio.objects.create(name=name)


@transaction.atomic
def update_catalog_item(*, instance):
    """Save staff edits of a studio, game, credit type or package; a package price is checked as a COIN amount.

    History (django-simple-history) records each change, which is the price history of packages.
    """
    if isinstance(instance, Package):
        instance.gcoin_value = to_amount(instance.gcoin_value, asset=Asset.objects.get(code="COIN"))
        if instance.credit_type.game_id != instance.game_id:
            instance.game = instance.credit_type.game
    instance.save()
    return instance


@transaction.atomic
def set_active(*, instance, is_active: bool):
    """Take a game or package off sale (or back on) without deleting what refers to it."""
    instance.is_active = is_active
    instance.save(update_fields=["is_active", "updated_at"])
    return instance
