"""Money and quantities as people write them."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def money(value: Decimal | float | None) -> str:
    """
    >>> money(Decimal("12345.6"))
    '£12,346'
    >>> money(None)
    '–'
    """
    if value is None or value == "":
        return "–"
    return f"£{float(value):,.0f}"


@register.filter
def quantity(value: Decimal | float | None) -> str:
    if value is None or value == "":
        return "–"
    return f"{float(value):,.0f}"


@register.filter
def percent(value: Decimal | float | None) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.0f}%"
