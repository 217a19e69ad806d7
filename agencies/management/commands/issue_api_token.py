from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.models import Agency, TokenScope
from agencies.tokens import agency_token_issue


class Command(BaseCommand):
    help = "Issue an API token for an agency's system. The token is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency_code")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. 'MVD data warehouse'")
        parser.add_argument(
            "--scopes",
            nargs="+",
            default=[TokenScope.KPI_READ],
            choices=TokenScope.values,
            help="what the token may do (default: kpi:read)",
        )
        parser.add_argument(
            "--expires-days", type=int, default=365, help="days until it expires (default 365; 0: never)"
        )

    def handle(
        self, *args: Any, agency_code: str, name: str, scopes: list[str], expires_days: int, **options: Any
    ) -> None:
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            raise CommandError(f"no agency with code {agency_code!r}")
        if expires_days < 0:
            raise CommandError("--expires-days cannot be negative")
        try:
            token, key = agency_token_issue(
                agency=agency, name=name, scopes=scopes, expires_days=expires_days or None, user=None
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        expires = token.expiry_date.date().isoformat() if token.expiry_date else "never"
        self.stderr.write(
            f"Token '{name}' for {agency.code}, scopes {' '.join(token.scopes)}, expires {expires}. "
            "It is shown once; store it now."
        )
        self.stdout.write(key)
