from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from initiatives.management.kpi_option import add_kpi_option, indicator_of
from initiatives.services.figures import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the rollups the KPI engine reads from the approved values (all KPIs, or one). "
        "The site keeps serving the old rollups until the rebuild commits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_kpi_option(parser)

    def handle(self, *args: Any, kpi: str | None, **options: Any) -> None:
        written = rollups_rebuild(indicator=indicator_of(kpi))
        self.stdout.write(f"{written} rollup row(s) written" + (f" for {kpi}" if kpi else "") + ".")
