"""The largest KPI value the project keeps, and the one check of it that the import, the
value service, the admin and the portal share.

At most 12 digits before the point and 4 after: no count, sum of money or population in
the programme comes near it, and every figure computed from such values (a national sum
over every region and month, its rate per 10,000, its change in %) fits the columns a
release freezes them in (`FrozenFigure`).
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_INTEGER_DIGITS = 12
MAX_DECIMAL_PLACES = 4
MAX_VALUE = Decimal("999999999999.9999")

VALUE_TOO_LARGE = _("%(value)s is too large: a value is at most %(max)s")


def value_too_large_params(value: Any) -> dict[str, str]:
    return {"value": str(value), "max": str(MAX_VALUE)}


def validate_value_bound(value: Decimal | None) -> None:
    """Refuse a value above MAX_VALUE (code `value_too_large`, params `value`, `max`)."""
    if value is not None and value.is_finite() and value > MAX_VALUE:
        raise ValidationError(VALUE_TOO_LARGE, code="value_too_large", params=value_too_large_params(value))
