"""Numbers written for machines: exact decimal text with a given number of places.

A count is written "654", not "654.0000"; a share with one place "12.5". Digits are
never dropped: a figure holding more places than asked keeps them (no rounding), so
what a file or the API says is always the stored number."""

from decimal import Decimal, localcontext


def exact_text(value: Decimal | int | str, places: int) -> str:
    """`value` with at least `places` decimals and no exponent, never rounded."""
    number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    with localcontext() as context:
        context.prec = 40
        shown = number.quantize(Decimal(1).scaleb(-places))
        if shown != number:  # more digits than the places: keep every one of them
            shown = number.normalize()
    return f"{shown:f}"
