from typing import Any

from django.core.management.base import BaseCommand

from citizens.services import personal_data_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt the citizen register's personal data with the first key of CITIZENS_DATA_KEYS and recompute "
        "the IIN's keyed hash with CITIZENS_HASH_KEY. Run after putting a new key first; then the old key can go "
        "(docs/personal-data.md)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = personal_data_reencrypt()
        self.stdout.write(f"{done} report(s) re-encrypted with the current key.")
