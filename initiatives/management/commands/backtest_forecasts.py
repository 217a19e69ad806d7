from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from initiatives.forecasts.jobs import BACKTEST_ORIGINS, forecast_kpis
from initiatives.forecasts.models import ForecastKind
from initiatives.management.forecast_options import run_and_say


class Command(BaseCommand):
    help = (
        "Backtest the forecasts: refit at each of the last N months (rolling origins), forecast 1-12 months "
        "ahead, and store the errors and scores the track record and the ranges are read from."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kpi", metavar="CODE", nargs="+", help="only these KPIs (their codes)")
        parser.add_argument(
            "--origins", type=int, default=BACKTEST_ORIGINS, help=f"rolling origins (default {BACKTEST_ORIGINS})"
        )

    def handle(self, *args: Any, kpi: list[str] | None, origins: int, **options: Any) -> None:
        if not 1 <= origins <= 60:
            raise CommandError("--origins must be between 1 and 60")
        try:
            kpis = forecast_kpis(kpi)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        run_and_say(self, kpis, kind=ForecastKind.BACKTEST, origins=origins)
