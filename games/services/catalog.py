"""The game catalog: studios, games, credit types and packages.

Rules every door gets: names are unique (a studio's and a game's everywhere, a credit type's and
a package's within their game), answered as `name_taken`; a game stays with its studio, a credit
type with its game and ledger asset, a package with its credit type; a package's price is a COIN
amount (`to_amount`: at most two places, above zero); a credit type's label is also its asset's.
Each change records a django-simple-history version where the model keeps one (packages: the
price history).
"""

import uuid
from decimal import Decimal

from django.db import transaction

from games.errors import InvalidRequest, NameTaken
from games.models import CreditType, Game, GameType, Package, Studio
from ledger import selectors as ledger_selectors
from ledger.errors import InvalidAmount
from ledger.models import Asset, AssetKind
from ledger.services import ensure_system_wallets, to_amount
from nodebyte_platform.updates import save_changes

# A file argument left out: the stored file stays.
UNCHANGED = object()


def _name(value: str, *, what: str) -> str:
    name = (value or "").strip()
    if not name:
        raise InvalidRequest(f"A {what} needs a name.", details={"field": "name"})
    return name


def _unique_name(queryset, name: str, *, what: str) -> None:
    if queryset.filter(name=name).exists():
        raise NameTaken(f"There is already a {what} named {name!r}.", details={"field": "name"})


def _game_type(value: str) -> str:
    if value not in GameType.values:
        raise InvalidRequest(f"Unknown game type {value!r}.", details={"field": "type"})
    return value


def _metadata(value) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest("A game's metadata is a JSON object.", details={"field": "metadata"})
    return value


def _whole_number(value, *, field: str, what: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidRequest(f"{what} is a whole number above zero.", details={"field": field})
    return value


def _coin_price(value) -> Decimal:
    try:
        return to_amount(value, asset=ledger_selectors.asset(code="COIN"))
    except InvalidAmount as exc:
        exc.details["field"] = "gcoin_value"
        raise


@transaction.atomic
def create_studio(*, name: str) -> Studio:
    name = _name(name, what="studio")
    _unique_name(Studio.objects.all(), name, what="studio")
    return Studio.objects.create(name=name)


@transaction.atomic
def update_studio(*, studio: Studio, name: str) -> Studio:
    locked = Studio.objects.select_for_update().get(pk=studio.pk)
    name = _name(name, what="studio")
    _unique_name(Studio.objects.exclude(pk=locked.pk), name, what="studio")
    save_changes(locked, name=name)
    return locked


@transaction.atomic
def create_game(
    *, studio: Studio, name: str, description: str = "", type: str = "other", metadata=None, is_active: bool = True
) -> Game:
    name = _name(name, what="game")
    _unique_name(Game.objects.all(), name, what="game")
    return Game.objects.create(
        studio=studio,
        name=name,
        description=description,
        type=_game_type(type),
        metadata=_metadata(metadata),
        is_active=bool(is_active),
    )


@transaction.atomic
def update_game(*, game: Game, name: str, description: str, type: str, metadata, is_active: bool) -> Game:
    """Change what a game is called and how it is described. Its studio never changes: partners of
    that studio reach it by its guid, and its credit types, packages and sessions stay theirs."""
    locked = Game.objects.select_for_update().get(pk=game.pk)
    name = _name(name, what="game")
    _unique_name(Game.objects.exclude(pk=locked.pk), name, what="game")
    save_changes(
        locked,
        name=name,
        description=description,
        type=_game_type(type),
        metadata=_metadata(metadata),
        is_active=bool(is_active),
    )
    return locked


@transaction.atomic
def create_credit_type(
    *, game: Game, name: str, label: str, exchange_rate: int, expiry_days: int | None = None, icon=None
) -> CreditType:
    """A game currency with its own ledger asset `CR-<id>` (precision 0) and system wallets."""
    name = _name(name, what="credit type")
    _unique_name(CreditType.objects.filter(game=game), name, what="credit type in this game")
    exchange_rate = _whole_number(exchange_rate, field="exchange_rate", what="The exchange rate")
    expiry_days = _whole_number(expiry_days, field="expiry_days", what="Expiry in days", allow_none=True)
    # The asset must exist before the credit type that points at it, and its code
    # needs the credit type's id, so it starts under a unique placeholder code.
    asset = Asset.objects.create(
        code=f"CR-new-{uuid.uuid4().hex[:20]}", kind=AssetKind.CREDIT, precision=0, label=label
    )
    credit_type = CreditType.objects.create(
        game=game,
        asset=asset,
        name=name,
        label=label,
        exchange_rate=exchange_rate,
        expiry_days=expiry_days,
        icon=icon or "",
    )
    asset.code = f"CR-{credit_type.pk}"
    asset.save(update_fields=["code"])
    ensure_system_wallets(asset=asset)
    return credit_type


@transaction.atomic
def update_credit_type(
    *, credit_type: CreditType, name: str, label: str, exchange_rate: int, expiry_days: int | None, icon=UNCHANGED
) -> CreditType:
    """Change a credit type's names, rate and expiry. Its game and ledger asset never change; a new
    label is the asset's label too, so wallets and statements name the currency the same way."""
    locked = CreditType.objects.select_for_update().select_related("asset").get(pk=credit_type.pk)
    name = _name(name, what="credit type")
    _unique_name(
        CreditType.objects.filter(game_id=locked.game_id).exclude(pk=locked.pk), name, what="credit type in this game"
    )
    values = {
        "name": name,
        "label": label,
        "exchange_rate": _whole_number(exchange_rate, field="exchange_rate", what="The exchange rate"),
        "expiry_days": _whole_number(expiry_days, field="expiry_days", what="Expiry in days", allow_none=True),
    }
    if icon is not UNCHANGED:
        values["icon"] = icon
    save_changes(locked, **values)
    save_changes(locked.asset, label=label)
    return locked


@transaction.atomic
def create_package(
    *,
    credit_type: CreditType,
    name: str,
    label: str,
    credit_value: int,
    gcoin_value,
    is_active: bool = True,
    icon=None,
) -> Package:
    name = _name(name, what="package")
    _unique_name(Package.objects.filter(game_id=credit_type.game_id), name, what="package in this game")
    return Package.objects.create(
        game=credit_type.game,
        credit_type=credit_type,
        name=name,
        label=label,
        credit_value=_whole_number(credit_value, field="credit_value", what="The number of credits"),
        gcoin_value=_coin_price(gcoin_value),
        is_active=bool(is_active),
        icon=icon or "",
    )


@transaction.atomic
def update_package(
    *, package: Package, name: str, label: str, credit_value: int, gcoin_value, is_active: bool, icon=UNCHANGED
) -> Package:
    """Change a package's names, credits and price (a COIN amount); its credit type never changes.
    Each change is a version in the package's history: the price history."""
    locked = Package.objects.select_for_update().get(pk=package.pk)
    name = _name(name, what="package")
    _unique_name(
        Package.objects.filter(game_id=locked.game_id).exclude(pk=locked.pk), name, what="package in this game"
    )
    values = {
        "name": name,
        "label": label,
        "credit_value": _whole_number(credit_value, field="credit_value", what="The number of credits"),
        "gcoin_value": _coin_price(gcoin_value),
        "is_active": bool(is_active),
    }
    if icon is not UNCHANGED:
        values["icon"] = icon
    save_changes(locked, **values)
    return locked


@transaction.atomic
def set_active(*, instance, is_active: bool):
    """Take a game or package off sale (or back on) without deleting what refers to it."""
    instance.is_active = is_active
    instance.save(update_fields=["is_active", "updated_at"])
    return instance
