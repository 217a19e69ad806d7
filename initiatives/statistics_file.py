"""Reading a legal-statistics file (brief section 4) and checking every row of it.

    region,period,indicator,value
    710000000,2025-01/2025-09,crime.registered,11616

Nothing here writes: the result is either the checked rows, or every problem found,
each with its line, column and reason.
"""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from projectoffice.tabular import Row, RowError
from regions.models import Region

from .models import Indicator, IndicatorSource, Unit
from .periods import Month, Period, PeriodError

COLUMNS = ("region", "period", "indicator", "value")
MAX_DECIMAL_PLACES = 4
MAX_INTEGER_DIGITS = 16
# Reported problems stop here; the count of all of them is still given.
MAX_REPORTED_ERRORS = 1000
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
# Units whose values are counted, so never fractional.
WHOLE_UNITS = frozenset({Unit.COUNT, Unit.PEOPLE})


@dataclass(frozen=True, slots=True)
class CheckedRow:
    line: int
    indicator_id: int
    region_id: int
    period_start: datetime.date
    period_end: datetime.date
    value: Decimal


@dataclass
class CheckResult:
    rows: list[CheckedRow]
    errors: list[RowError]
    error_count: int
    total: int


def parse_value(text: str) -> Decimal:
    """A non-negative number written plainly: 11616 or 92.5. ValueError says why not."""
    if not text:
        raise ValueError(_("the value is empty"))
    if _NUMBER.match(text):
        integer, _dot, fraction = text.partition(".")
        if len(fraction) > MAX_DECIMAL_PLACES:
            raise ValueError(
                _("%(value)s has more than %(places)s decimal places") % {"value": text, "places": MAX_DECIMAL_PLACES}
            )
        if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
            raise ValueError(_("%(value)s is too large") % {"value": text})
        return Decimal(text)
    try:
        number = Decimal(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise ValueError(_("%(value)r is not a number") % {"value": text}) from None
    if number.is_finite() and number < 0:
        raise ValueError(_("%(value)s is negative; values cannot be below zero") % {"value": text})
    raise ValueError(
        _("%(value)r: write numbers with a dot for decimals and no thousands separators, e.g. 11616 or 92.5")
        % {"value": text}
    )


class _Catalogue:
    """Regions and KPIs by their codes, looked up once for the whole file."""

    def __init__(self) -> None:
        self.regions = {
            kato: (pk, valid_from, valid_to)
            for kato, pk, valid_from, valid_to in Region.objects.values_list("kato", "pk", "valid_from", "valid_to")
        }
        self.indicators = {
            code: (pk, formula, source, unit, owner)
            for code, pk, formula, source, unit, owner in Indicator.objects.values_list(
                "code", "pk", "numerator", "source", "unit", "owner_agency__code"
            )
        }
        self.this_month = Month.from_date(timezone.localdate())
        self.periods: dict[str, Period | str] = {}

    def period(self, text: str) -> Period | str:
        """The period, or the reason it is not one (cached: a file repeats a few periods)."""
        if text not in self.periods:
            try:
                self.periods[text] = Period.parse(text)
            except PeriodError as exc:
                self.periods[text] = str(exc)
        return self.periods[text]


# Rows between two progress reports while checking.
PROGRESS_EVERY = 10_000


def check_rows(
    rows: Iterable[Row], progress: Callable[[int], None] | None = None, agency_code: str | None = None
) -> CheckResult:
    """Check every row. `agency_code`: an agency's system is importing, and may import
    only the KPIs its agency keeps."""
    catalogue = _Catalogue()
    checked: list[CheckedRow] = []
    errors: list[RowError] = []
    error_count = 0
    first_line: dict[tuple[int, int, datetime.date, datetime.date], int] = {}
    total = 0

    def problem(line: int, column: str, message: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_REPORTED_ERRORS:
            errors.append(RowError(line, column, message))

    for row in rows:
        total += 1
        if progress and total % PROGRESS_EVERY == 0:
            progress(total)
        v = row.values
        line = row.line
        before = error_count
        if row.extra_cells:
            problem(line, "", _("more values than columns in the header"))

        region = catalogue.regions.get(v["region"])
        if region is None:
            problem(line, "region", _("unknown region %(code)r (a 9-digit KATO code)") % {"code": v["region"]})

        indicator = catalogue.indicators.get(v["indicator"])
        if indicator is None:
            problem(line, "indicator", _("unknown indicator %(code)r") % {"code": v["indicator"]})
        elif indicator[1] is not None:
            problem(
                line,
                "indicator",
                _("%(code)s is computed from its formula; import its numerator and denominator instead")
                % {"code": v["indicator"]},
            )
        elif agency_code is not None and indicator[4] != agency_code:
            problem(
                line,
                "indicator",
                _("%(code)s is kept by %(owner)s; a token of %(agency)s may not import it")
                % {"code": v["indicator"], "owner": indicator[4], "agency": agency_code},
            )
        elif indicator[2] == IndicatorSource.COORDINATOR_REPORTS:
            problem(
                line,
                "indicator",
                _("%(code)s is reported by regional coordinators and reviewed; it is not imported as statistics")
                % {"code": v["indicator"]},
            )

        period = catalogue.period(v["period"])
        if isinstance(period, str):
            problem(line, "period", period)
        elif catalogue.this_month < period.end:
            problem(line, "period", _("%(period)s has not ended yet") % {"period": period})

        try:
            number = parse_value(v["value"])
        except ValueError as exc:
            problem(line, "value", str(exc))
        else:
            if indicator is not None and indicator[3] in WHOLE_UNITS and number != number.to_integral_value():
                problem(line, "value", _("%(value)s: a count is a whole number") % {"value": v["value"]})

        if error_count > before:
            continue
        assert region is not None and indicator is not None and isinstance(period, Period)
        region_id, valid_from, valid_to = region
        if not period.overlaps_days(valid_from, valid_to):
            problem(
                line,
                "region",
                _("%(code)s did not exist during %(period)s (valid %(from)s to %(to)s)")
                % {"code": v["region"], "period": period, "from": valid_from or "…", "to": valid_to or "…"},
            )
            continue
        key = (region_id, indicator[0], period.first_day, period.end.first_day)
        if key in first_line:
            problem(
                line,
                "",
                _("the same region, period and indicator as line %(line)s") % {"line": first_line[key]},
            )
            continue
        first_line[key] = line
        checked.append(CheckedRow(line, indicator[0], region_id, period.first_day, period.end.first_day, number))
    return CheckResult(checked, errors, error_count, total)
