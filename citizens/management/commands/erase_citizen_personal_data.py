from typing import Any

from django.core.management.base import BaseCommand

from citizens.services import personal_data_erase_expired


class Command(BaseCommand):
    help = (
        "Erase the personal data (IIN, name, phone, the IIN's keyed hash) of citizens' reports whose retention "
        "period (CITIZENS_RETENTION_YEARS after the decision) is over. The reports and their counts stay. "
        "The worker runs this every night."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        erased = personal_data_erase_expired()
        self.stdout.write(f"Personal data erased from {erased} report(s).")
