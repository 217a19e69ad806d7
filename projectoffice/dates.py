"""Dates written as text, as data files, uploads and SQLite's raw cursor hold them."""

import datetime
import re

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(value: object) -> datetime.date | None:
    """`value` written YYYY-MM-DD as a date; a date as it is; None or "" as None.

    Anything else raises ValueError: a caller that collects problems says so in its own
    words (Python would also read "20250901" or a week date, which no person means)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.date):
        return value
    text = str(value)
    if not ISO_DATE.match(text):
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
    return datetime.date.fromisoformat(text)


def required_iso_date(value: object) -> datetime.date:
    """`iso_date` of a date that must be there (a DateField read by a raw cursor, a
    required column of a data file): None or "" raises ValueError too."""
    day = iso_date(value)
    if day is None:
        raise ValueError("a date written YYYY-MM-DD is missing")
    return day
