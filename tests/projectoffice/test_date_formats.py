"""Dates as each language writes them inside a sentence."""

import datetime

import pytest
from django.utils import formats, translation


@pytest.mark.parametrize(
    ("language", "written"),
    [("kk", "7 желтоқсан 2026 ж."), ("ru", "7 декабря 2026 г."), ("en", "7 December 2026")],
)
def test_a_date_writes_its_month_as_the_language_does(language: str, written: str) -> None:
    with translation.override(language):
        assert formats.date_format(datetime.date(2026, 12, 7), "DATE_FORMAT") == written


def test_a_kazakh_date_and_time_has_no_capital_in_the_middle() -> None:
    with translation.override("kk"):
        for month in range(1, 13):
            text = formats.date_format(datetime.datetime(2026, month, 7, 5, 0), "DATETIME_FORMAT")
            assert text.split()[1] == text.split()[1].lower(), text
