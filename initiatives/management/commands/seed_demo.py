from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.demo import seed_reference_and_people
from initiatives.demo import DEFAULT_DISTRICTS, seed_programme, seed_release


class Command(BaseCommand):
    help = (
        "Fill the database with demo data: the 20 regions, agencies and their branches, the users 'office', "
        "'office.deputy', 'coordinator.astana' and 'coordinator.almaty', initiatives, campaigns, KPI targets, "
        "illustrative districts, monthly values from June 2022 to the last month that is over (every district's "
        "offences, each region's as their sum), the citizen register, and a release "
        "of the year to date for the public page. Safe to run again: it fills what is missing and never changes "
        "what a person or an import wrote."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help="password for the demo users; without it, new users get a random one that is printed once",
        )
        parser.add_argument(
            "--districts",
            type=int,
            default=DEFAULT_DISTRICTS,
            help=f"how many districts to share out over the 20 regions by population (default {DEFAULT_DISTRICTS}); "
            "each has its own monthly series of every offence KPI",
        )

    def handle(self, *args: Any, password: str | None, districts: int, **options: Any) -> None:
        result = seed_reference_and_people(password=password)
        for username, generated in result.new_passwords.items():
            self.stdout.write(f"user {username}: password {generated}")
        try:
            written = seed_programme(districts=districts)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        # Apps above initiatives (the citizen register) add their own demo data through a
        # `seed_demo` method on their AppConfig, so this command need not import them.
        for config in apps.get_app_configs():
            seed = getattr(config, "seed_demo", None)
            if callable(seed):
                self.stdout.write(seed())
        # Last: the release freezes every dashboard KPI, the register's too.
        self.stdout.write(seed_release())
        self.stdout.write(self.style.SUCCESS(f"Demo data is in place ({written} KPI values written)."))
