from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from initiatives.management.kpi_option import add_kpi_option, indicator_of
from initiatives.services.figures import rollups_check


class Command(BaseCommand):
    help = (
        "Compare the rollups the KPI engine reads with a fresh computation from the values; "
        "exit non-zero and list the differences if there are any. The outcome shows in /healthz."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_kpi_option(parser)

    def handle(self, *args: Any, kpi: str | None, **options: Any) -> None:
        _check, found = rollups_check(indicator=indicator_of(kpi))
        for difference in found:
            self.stderr.write(str(difference))
        if found:
            raise CommandError(f"{len(found)} rollup row(s) differ from the values; `rebuild_rollups` mends them")
        self.stdout.write("The rollups match the values.")
