"""Numbers: exact decimal text for machines, the one rounding of figures shown, and
numbers as a raw database cursor hands them back.

`exact_text` writes a stored number: a count is written "654", not "654.0000"; a share
with one place "12.5". Digits are never dropped: a figure holding more places than asked
keeps them (no rounding), so what a file or the API says is always the stored number.
`rounded` is for what is computed from stored numbers (sums, rates, changes), shown at
the KPI's places."""

from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import overload


def exact_text(value: Decimal | int | str, places: int) -> str:
    """`value` with at least `places` decimals and no exponent, never rounded."""
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    with localcontext() as context:
        context.prec = 40
        shown = number.quantize(Decimal(1).scaleb(-places))
        if shown != number:  # more digits than the places: keep every one of them
            shown = number.normalize()
    return f"{shown:f}"


@overload
def rounded(value: Decimal, places: int) -> Decimal: ...
@overload
def rounded(value: Decimal | None, places: int) -> Decimal | None: ...
def rounded(value: Decimal | None, places: int) -> Decimal | None:
    """`value` to `places` decimals, halves away from zero, never "-0": the one rounding
    of a figure shown to people (pages, files, releases, the API)."""
    if value is None:
        return None
    result = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return result if result else abs(result)


def rounded_text(value: Decimal | None, places: int) -> str | None:
    """`rounded`, written as exact decimal text ("98500", "-6.7"): JSON floats would round it again."""
    number = rounded(value, places)
    return None if number is None else f"{number:f}"


def decimal_read(raw: object, places: int) -> Decimal:
    """A number as a raw cursor hands it back, as the ORM would read it: PostgreSQL gives
    a Decimal (kept), SQLite an int or a float (made a Decimal of `places` decimals)."""
    return raw if isinstance(raw, Decimal) else Decimal(str(raw)).quantize(Decimal(1).scaleb(-places))
