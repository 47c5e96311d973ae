from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def asset_amount(value, asset) -> str:
    """An amount shown with exactly the asset's precision (COIN 2 places, credits 0)."""
    if value is None:
        return ""
    precision = getattr(asset, "precision", 2)
    quantized = Decimal(value).quantize(Decimal(1).scaleb(-precision))
    return intcomma(f"{quantized:.{precision}f}")
