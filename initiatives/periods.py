"""Reporting periods: calendar spans of whole months.

Accepted forms: a month `2025-09`, a quarter `2025-Q3`, a half-year `2025-H1`, a year
`2025`, or a range of months `2025-01/2025-09` (year to date, as form 1-M publishes).
A period is stored as its first and last month; `str()` gives the shortest form back.
"""

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import total_ordering

from django.utils import timezone
from django.utils.translation import gettext as _

MIN_YEAR, MAX_YEAR = 1900, 2100
ACCEPTED_FORMS = "2025-09, 2025-Q3, 2025-H1, 2025, 2025-01/2025-09"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_HALF = re.compile(r"^(\d{4})-[Hh]([12])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    pass


class PeriodNotOver(PeriodError):
    """A period whose last month has not ended: its figures are not complete yet, so
    nothing may enter, template or release them as if they were."""

    def __init__(self, period: "Period") -> None:
        self.period = period
        super().__init__(_("%(period)s has not ended yet") % {"period": period})


@total_ordering
@dataclass(frozen=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise PeriodError(_("month %(month)s is not between 01 and 12") % {"month": self.month})
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PeriodError(
                _("year %(year)s is outside %(min)s-%(max)s") % {"year": self.year, "min": MIN_YEAR, "max": MAX_YEAR}
            )

    @property
    def index(self) -> int:
        """Months since year 0: the arithmetic form."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> "Month":
        return cls(index // 12, index % 12 + 1)

    @classmethod
    def from_date(cls, day: datetime.date) -> "Month":
        return cls(day.year, day.month)

    def plus(self, months: int) -> "Month":
        return Month.from_index(self.index + months)

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def last_day(self) -> datetime.date:
        return self.plus(1).first_day - datetime.timedelta(days=1)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Month):
            return NotImplemented
        return self.index < other.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, order=True)
class Period:
    start: Month
    end: Month

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(
                _("period %(start)s/%(end)s ends before it starts") % {"start": self.start, "end": self.end}
            )

    # --- construction

    @classmethod
    def parse(cls, text: str) -> "Period":
        """The period `text` names; PeriodError naming the input and the accepted forms."""
        raw = text.strip() if isinstance(text, str) else ""
        try:
            period = cls._parse(raw)
        except PeriodError as exc:
            raise PeriodError(
                _("%(input)r is not a valid period: %(reason)s; use one of %(forms)s")
                % {"input": text, "reason": exc, "forms": ACCEPTED_FORMS}
            ) from None
        if period is None:
            raise PeriodError(
                _("%(input)r is not a period; use one of %(forms)s") % {"input": text, "forms": ACCEPTED_FORMS}
            )
        return period

    @classmethod
    def _parse(cls, raw: str) -> "Period | None":
        if "/" in raw:
            first, _sep, last = raw.partition("/")
            start, end = _MONTH.match(first.strip()), _MONTH.match(last.strip())
            if not (start and end):
                return None
            return cls(Month(int(start[1]), int(start[2])), Month(int(end[1]), int(end[2])))
        if m := _MONTH.match(raw):
            month = Month(int(m[1]), int(m[2]))
            return cls(month, month)
        if m := _QUARTER.match(raw):
            return cls.quarter(int(m[1]), int(m[2]))
        if m := _HALF.match(raw):
            return cls.half_year(int(m[1]), int(m[2]))
        if m := _YEAR.match(raw):
            return cls.year(int(m[1]))
        return None

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(Month(year, month), Month(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        return cls(Month(year, 3 * quarter - 2), Month(year, 3 * quarter))

    @classmethod
    def half_year(cls, year: int, half: int) -> "Period":
        return cls(Month(year, 6 * half - 5), Month(year, 6 * half))

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(Month(year, 1), Month(year, 12))

    @classmethod
    def from_dates(cls, start: datetime.date, end: datetime.date) -> "Period":
        return cls(Month.from_date(start), Month.from_date(end))

    # --- reading

    @property
    def months(self) -> int:
        return self.end.index - self.start.index + 1

    @property
    def kind(self) -> str:
        """month, quarter, half_year, year or range: the shortest name of this span."""
        s, e = self.start, self.end
        if s == e:
            return "month"
        if s.year == e.year:
            if (s.month, e.month) == (1, 12):
                return "year"
            if self.months == 6 and s.month in (1, 7):
                return "half_year"
            if self.months == 3 and s.month in (1, 4, 7, 10):
                return "quarter"
        return "range"

    def __str__(self) -> str:
        kind = self.kind
        if kind == "month":
            return str(self.start)
        if kind == "year":
            return f"{self.start.year:04d}"
        if kind == "half_year":
            return f"{self.start.year:04d}-H{(self.start.month + 5) // 6}"
        if kind == "quarter":
            return f"{self.start.year:04d}-Q{(self.start.month + 2) // 3}"
        return f"{self.start}/{self.end}"

    def each_month(self) -> Iterator["Period"]:
        for index in range(self.start.index, self.end.index + 1):
            month = Month.from_index(index)
            yield Period(month, month)

    def is_over(self, today: datetime.date) -> bool:
        """Has the period's last month ended by `today`? A month is over from the first day
        of the next: on 7 December, November is over and December is not. The one rule for
        whether a period's figures may be imported, entered, templated or released."""
        return self.end < Month.from_date(today)

    def check_over(self, today: datetime.date) -> "Period":
        """This period, if it is over by `today`; else PeriodNotOver, in the reader's language."""
        if not self.is_over(today):
            raise PeriodNotOver(self)
        return self

    def contains(self, other: "Period") -> bool:
        return self.start <= other.start and other.end <= self.end

    def overlaps(self, other: "Period") -> bool:
        return self.start <= other.end and other.start <= self.end

    def overlaps_days(self, first: datetime.date | None, last: datetime.date | None) -> bool:
        """Does any day of this period fall between `first` and `last` (None: open)? The
        rule for "a region exists during a period", also held by database triggers."""
        return (first is None or first <= self.last_day) and (last is None or last >= self.first_day)

    def shifted(self, months: int) -> "Period":
        return Period(self.start.plus(months), self.end.plus(months))

    def year_before(self) -> "Period":
        return self.shifted(-12)

    @property
    def first_day(self) -> datetime.date:
        return self.start.first_day

    @property
    def last_day(self) -> datetime.date:
        return self.end.last_day


def stock_period_at(day: datetime.date) -> Period:
    """The period a stock counted on `day` is recorded for. The engine reads a stock as at
    the end of its period, so a count on 1 January 2026 (as the statistics bureau dates the
    population) is the figure of the year 2025; a count on any other day stands at the end
    of the month of the day before it (a year when that month is December)."""
    before = day - datetime.timedelta(days=1)
    month = Month.from_date(before)
    return Period.year(before.year) if before.month == 12 else Period(month, month)


def stock_counted_on(period: Period) -> datetime.date:
    """The day a stock recorded for `period` was counted on: the day after the period's
    last (`stock_period_at` read back; a count dated inside a month reads back as the 1st
    of the month after)."""
    return period.last_day + datetime.timedelta(days=1)


def period_over(text: str) -> Period:
    """The period `text` names, if it is over today: the only periods whose figures staff
    may enter, template, import or release. PeriodError (in the reader's words) if not."""
    return Period.parse(text).check_over(timezone.localdate())
