from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.access import is_project_office
from initiatives.periods import Period, PeriodError
from initiatives.services.releases import ReleaseError, release_publish


class Command(BaseCommand):
    help = (
        "Freeze the figures of PERIOD (every KPI of the dashboard, nationally and by region) as committed now, "
        "as a release awaiting confirmation: another member of the project office confirms it in the admin "
        "(Releases), and only then does it go out. --by names the active office member who publishes; "
        "they cannot confirm it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period", help="any period form: 2026-09, 2026-Q3, 2026-H1, 2026, 2026-01/2026-09")
        parser.add_argument(
            "--by", required=True, help="username of the active office member publishing (recorded; cannot confirm)"
        )
        parser.add_argument("--title", default="", help='the release\'s name, e.g. "January-September 2026"')
        for code, language in (("kk", "Kazakh"), ("ru", "Russian"), ("en", "English")):
            parser.add_argument(f"--title-{code}", default="", help=f"the name in {language} (else --title)")

    def handle(self, *args: Any, period: str, by: str, title: str, **options: Any) -> None:
        try:
            span = Period.parse(period)
        except PeriodError as exc:
            raise CommandError(f"period: {exc}") from None
        user = get_user_model().objects.filter(username=by).first()
        if user is None:
            raise CommandError(f"--by: no user {by!r}")
        if not is_project_office(user):
            raise CommandError(f"--by: {by!r} is not an active member of the project office")
        titles = {code: options[f"title_{code}"] for code in ("kk", "ru", "en")}
        try:
            release = release_publish(period=span, title=title, titles=titles, user=user)
        except (ReleaseError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        figures = release.figures.count()
        self.stdout.write(
            f"Release {release.pk} “{release.title}” ({release.period}) frozen as of "
            f"{release.moment.isoformat()}: {figures} figures, published by {by}. "
            "It awaits confirmation by another member of the office."
        )
