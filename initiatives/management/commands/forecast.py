from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from initiatives.forecasts.jobs import forecast_kpis
from initiatives.forecasts.models import ForecastKind
from initiatives.management.forecast_options import moment_option, month_option, run_and_say


class Command(BaseCommand):
    help = (
        "Forecast the forecast KPIs (or those named) 12 months ahead across the region tree and store the run; "
        "the origin defaults to the latest month whose national figure is complete, the data to what is "
        "committed now. Makes a backtest first when none is stored for the origin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kpi", metavar="CODE", nargs="+", help="only these KPIs (their codes)")
        parser.add_argument("--origin", metavar="YYYY-MM", help="the last month read (a month that is over)")
        parser.add_argument(
            "--as-of", metavar="ISO-MOMENT", help="read each value as committed at this moment (default: now)"
        )

    def handle(self, *args: Any, kpi: list[str] | None, origin: str | None, as_of: str | None, **options: Any) -> None:
        try:
            kpis = forecast_kpis(kpi)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        run_and_say(
            self,
            kpis,
            kind=ForecastKind.FORECAST,
            origin=month_option(origin) if origin else None,
            as_of=moment_option(as_of) if as_of else None,
        )
