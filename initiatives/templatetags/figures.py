"""How the pages write a change: its sign always, and a true minus (U+2212), as the charts
do; files and the API keep the ASCII hyphen-minus machines read."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

MINUS = "\u2212"


@register.filter
def signed(value: Decimal | float | int | None, places: str = "1") -> str:
    """`+6.2`, `−6.2`, `0.0` (`places` as `floatformat` takes it: "1", "0g"); "—" for none."""
    if value is None or value == "":
        return "—"
    shown = floatformat(abs(Decimal(str(value))), places)
    if value and shown.strip("0.,\u00a0 ") != "":
        return ("+" if value > 0 else MINUS) + shown
    return shown
