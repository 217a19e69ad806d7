import datetime

import pytest

from initiatives.periods import Month, Period, PeriodError


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2025-09", (2025, 9), (2025, 9), "month"),
        ("2025-Q1", (2025, 1), (2025, 3), "quarter"),
        ("2025-Q3", (2025, 7), (2025, 9), "quarter"),
        ("2025-q4", (2025, 10), (2025, 12), "quarter"),
        ("2025-H1", (2025, 1), (2025, 6), "half_year"),
        ("2025-H2", (2025, 7), (2025, 12), "half_year"),
        ("2025", (2025, 1), (2025, 12), "year"),
        ("2025-01/2025-09", (2025, 1), (2025, 9), "range"),
        ("2024-11/2025-02", (2024, 11), (2025, 2), "range"),
        (" 2025-09 ", (2025, 9), (2025, 9), "month"),
    ],
)
def test_every_form_parses_to_its_first_and_last_month(
    text: str, start: tuple[int, int], end: tuple[int, int], kind: str
) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (Month(*start), Month(*end))
    assert period.kind == kind


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("2025-09", "2025-09"),
        ("2025-q3", "2025-Q3"),
        ("2025-H2", "2025-H2"),
        ("2025", "2025"),
        ("2025-01/2025-09", "2025-01/2025-09"),
        # A range that is really a quarter, half-year, year or month is named as such.
        ("2025-07/2025-09", "2025-Q3"),
        ("2025-01/2025-06", "2025-H1"),
        ("2025-01/2025-12", "2025"),
        ("2025-05/2025-05", "2025-05"),
        ("2025-02/2025-04", "2025-02/2025-04"),
    ],
)
def test_a_period_is_written_back_in_its_shortest_form(text: str, canonical: str) -> None:
    assert str(Period.parse(text)) == canonical
    assert Period.parse(str(Period.parse(text))) == Period.parse(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2025-13", "month 13 is not between 01 and 12"),
        ("2025-00", "month 0 is not between 01 and 12"),
        ("2025-Q5", "is not a period"),
        ("2025-H3", "is not a period"),
        ("2025-09/2025-01", "ends before it starts"),
        ("2025-9", "is not a period"),
        ("25-09", "is not a period"),
        ("2025/09", "is not a period"),
        ("2025-01/2025-Q3", "is not a period"),
        ("September 2025", "is not a period"),
        ("", "is not a period"),
        ("1800", "year 1800 is outside"),
    ],
)
def test_invalid_input_is_named_with_the_forms_accepted(text: str, reason: str) -> None:
    with pytest.raises(PeriodError) as info:
        Period.parse(text)
    message = str(info.value)
    assert repr(text) in message
    assert reason in message
    assert "2025-09, 2025-Q3, 2025-H1, 2025, 2025-01/2025-09" in message


def test_periods_order_by_start_then_end() -> None:
    periods = [Period.parse(p) for p in ("2025", "2025-01", "2024-12", "2025-Q1", "2025-01/2025-02")]
    assert [str(p) for p in sorted(periods)] == ["2024-12", "2025-01", "2025-01/2025-02", "2025-Q1", "2025"]


def test_containment_and_overlap() -> None:
    ytd = Period.parse("2025-01/2025-09")
    assert ytd.contains(Period.parse("2025-Q3"))
    assert not ytd.contains(Period.parse("2025-Q4"))
    assert ytd.overlaps(Period.parse("2025-09/2025-10"))
    assert not ytd.overlaps(Period.parse("2025-10"))


def test_months_are_counted_and_listed_across_a_year_end() -> None:
    period = Period.parse("2024-11/2025-02")
    assert period.months == 4
    assert [str(m) for m in period.each_month()] == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_the_same_span_a_year_before() -> None:
    assert str(Period.parse("2025-01/2025-09").year_before()) == "2024-01/2024-09"
    assert str(Period.parse("2025-Q1").year_before()) == "2024-Q1"


def test_first_and_last_day_cover_whole_months_including_leap_february() -> None:
    period = Period.parse("2024-02")
    assert (period.first_day, period.last_day) == (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    assert Period.parse("2025-H2").last_day == datetime.date(2025, 12, 31)
