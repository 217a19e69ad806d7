from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from initiatives.models import Indicator
from initiatives.services.figures import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the rollups the KPI engine reads from the approved values (all KPIs, or one). "
        "The site keeps serving the old rollups until the rebuild commits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kpi", metavar="CODE", help="only this KPI (its code, e.g. crime.registered)")

    def handle(self, *args: Any, kpi: str | None, **options: Any) -> None:
        indicator = None
        if kpi:
            indicator = Indicator.objects.filter(code=kpi).first()
            if indicator is None:
                raise CommandError(f"no KPI with the code {kpi!r}")
        written = rollups_rebuild(indicator=indicator)
        self.stdout.write(f"{written} rollup row(s) written" + (f" for {kpi}" if kpi else "") + ".")
