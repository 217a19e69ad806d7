"""`--kpi CODE`, as the commands over the rollups take it."""

from django.core.management.base import CommandError, CommandParser

from initiatives.models import Indicator


def add_kpi_option(parser: CommandParser) -> None:
    parser.add_argument("--kpi", metavar="CODE", help="only this KPI (its code, e.g. crime.registered)")


def indicator_of(kpi: str | None) -> Indicator | None:
    """The KPI the option names (None: all of them); an unknown code stops the command."""
    if not kpi:
        return None
    indicator = Indicator.objects.filter(code=kpi).first()
    if indicator is None:
        raise CommandError(f"no KPI with the code {kpi!r}")
    return indicator
