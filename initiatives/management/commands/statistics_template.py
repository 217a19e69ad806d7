from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from initiatives.periods import Period, PeriodError
from initiatives.statistics.selectors import statistics_template_read
from initiatives.statistics.template import statistics_template_xlsx
from regions.models import Region


class Command(BaseCommand):
    help = (
        "Write a pre-filled legal-statistics template (XLSX in the import's format): one row per statistics "
        "KPI and per unit of the region (the region and its districts), names and last year's and last "
        "period's figures beside, the value column to fill. The filled file imports as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="KATO code of the region")
        parser.add_argument("--period", required=True, help="e.g. 2025-09, 2025-Q3, 2025-01/2025-09")
        parser.add_argument("--out", type=Path, help="the file to write (default: statistics-KATO-PERIOD.xlsx)")

    def handle(self, *args: Any, region: str, period: str, out: Path | None, **options: Any) -> None:
        found = Region.objects.filter(kato=region.strip()).first()
        if found is None:
            raise CommandError(f"{region}: no region with this KATO code")
        try:
            span = Period.parse(period).check_over(timezone.localdate())
        except PeriodError as exc:
            raise CommandError(str(exc)) from exc
        template = statistics_template_read(region=found, period=span)
        target = out or Path(f"statistics-{found.kato}-{str(span).replace('/', '-')}.xlsx")
        target.write_bytes(statistics_template_xlsx(template))
        self.stdout.write(
            f"{target}: {len(template.rows)} rows ({len(template.region_codes)} units x "
            f"{len(template.indicator_codes)} KPIs) for {span}; fill the value column"
        )
