import argparse
import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from initiatives.services.reminders import reminders_send
from projectoffice.dates import required_iso_date


def date_argument(text: str) -> datetime.date:
    """`--date` as argparse reads it: the one reader of dates, its refusal in argparse's words."""
    try:
        return required_iso_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Write the day's report reminders and escalations into the outbox (what the daily 09:00 job does). "
        "Safe to run again: a notice already written is not written twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", type=date_argument, help="the day to act as, YYYY-MM-DD (default: today in Almaty time)"
        )

    def handle(self, *args: Any, date: datetime.date | None, **options: Any) -> None:
        today = date or timezone.localdate()
        written = reminders_send(today=today)
        self.stdout.write(f"{today.isoformat()}: {written} notice(s) written to the outbox.")
