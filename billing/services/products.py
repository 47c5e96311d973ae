"""Products: the hosting offers customers buy (price history kept by django-simple-history).

Rules: a product is priced in a currency customers pay in (fiat or COIN), its price and setup
fee are amounts of that currency (its places, 0 or more); its slug is unique; an egg belongs to
the product's nest (an egg without a nest takes its own).
"""

from django.db import transaction

from billing.errors import ValidationFailed
from billing.models import BillingCycle, Product, ProductType
from billing.services._common import _require_fiat_or_coin
from ledger.errors import InvalidAmount
from ledger.models import Asset
from ledger.services import to_amount
from nodebyte_platform.updates import save_changes

RESOURCE_FIELDS = ("memory", "disk", "cpu", "databases_limit", "backups_limit")


def _amount(value, *, currency: Asset, field: str):
    try:
        amount = to_amount(value, asset=currency, positive=False)
    except InvalidAmount as exc:
        exc.details["field"] = field
        raise
    if amount < 0:
        raise ValidationFailed("Prices are 0 or more.", details={"field": field})
    return amount


def _product_values(
    *,
    name,
    slug,
    description,
    product_type,
    nest,
    egg,
    currency,
    price,
    setup_fee,
    billing_cycle,
    is_active,
    **resources,
) -> dict:
    name, slug = (name or "").strip(), (slug or "").strip()
    if not name:
        raise ValidationFailed("A product needs a name.", details={"field": "name"})
    if not slug:
        raise ValidationFailed("A product needs a slug.", details={"field": "slug"})
    if product_type not in ProductType.values:
        raise ValidationFailed(f"Unknown product type {product_type!r}.", details={"field": "product_type"})
    if billing_cycle not in BillingCycle.values:
        raise ValidationFailed(f"Unknown billing cycle {billing_cycle!r}.", details={"field": "billing_cycle"})
    try:
        _require_fiat_or_coin(currency)
    except ValidationFailed as exc:
        exc.details["field"] = "currency"
        raise
    if egg is not None:
        if nest is None:
            nest = egg.nest
        elif egg.nest_id != nest.pk:
            raise ValidationFailed(f"The egg {egg} belongs to another nest than {nest}.", details={"field": "egg"})
    for field in RESOURCE_FIELDS:
        value = resources.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationFailed(f"{field} is a whole number, 0 or more.", details={"field": field})
    return {
        "name": name,
        "slug": slug,
        "description": description or "",
        "product_type": product_type,
        "nest": nest,
        "egg": egg,
        "currency": currency,
        "price": _amount(price, currency=currency, field="price"),
        "setup_fee": _amount(setup_fee, currency=currency, field="setup_fee"),
        "billing_cycle": billing_cycle,
        "is_active": bool(is_active),
        **{field: resources[field] for field in RESOURCE_FIELDS},
    }


def _unique_slug(slug: str, *, other_than: Product | None = None) -> None:
    taken = Product.objects.filter(slug=slug)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise ValidationFailed(f"Another product has the slug {slug!r}.", details={"field": "slug"})


def create_product(
    *,
    name: str,
    slug: str,
    currency: Asset,
    price,
    description: str = "",
    product_type: str = ProductType.GAME_SERVER,
    nest=None,
    egg=None,
    setup_fee=0,
    billing_cycle: str = BillingCycle.MONTHLY,
    is_active: bool = True,
    memory: int = 1024,
    disk: int = 5120,
    cpu: int = 100,
    databases_limit: int = 0,
    backups_limit: int = 0,
) -> Product:
    values = _product_values(
        name=name,
        slug=slug,
        description=description,
        product_type=product_type,
        nest=nest,
        egg=egg,
        currency=currency,
        price=price,
        setup_fee=setup_fee,
        billing_cycle=billing_cycle,
        is_active=is_active,
        memory=memory,
        disk=disk,
        cpu=cpu,
        databases_limit=databases_limit,
        backups_limit=backups_limit,
    )
    with transaction.atomic():
        _unique_slug(values["slug"])
        return Product.objects.create(**values)


def update_product(
    *,
    product: Product,
    name: str,
    slug: str,
    currency: Asset,
    price,
    description: str,
    product_type: str,
    nest,
    egg,
    setup_fee,
    billing_cycle: str,
    is_active: bool,
    memory: int,
    disk: int,
    cpu: int,
    databases_limit: int,
    backups_limit: int,
) -> Product:
    """Change a product under the rules of its creation. Each change is a version in the product's
    history (its price history); subscriptions keep the price agreed when they were ordered."""
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        checked = _product_values(
            name=name,
            slug=slug,
            description=description,
            product_type=product_type,
            nest=nest,
            egg=egg,
            currency=currency,
            price=price,
            setup_fee=setup_fee,
            billing_cycle=billing_cycle,
            is_active=is_active,
            memory=memory,
            disk=disk,
            cpu=cpu,
            databases_limit=databases_limit,
            backups_limit=backups_limit,
        )
        _unique_slug(checked["slug"], other_than=locked)
        save_changes(locked, **checked)
        return locked
