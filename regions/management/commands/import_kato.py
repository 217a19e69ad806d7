from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from regions.services import KatoImportError, regions_import_kato


class Command(BaseCommand):
    help = (
        "Load the official KATO classifier (CSV in UTF-8 or XLSX; columns TE, AB, CD, EF, HIJ, "
        "K, NAME_KAZ, NAME_RUS, NN). All rows are checked first; one bad row and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            result = regions_import_kato(source=file, dry_run=dry_run)
        except KatoImportError as exc:
            for error in exc.errors:
                self.stderr.write(f"{file.name}: {error}")
            raise CommandError(f"{file.name}: refused, {len(exc.errors)} problem(s); nothing was written") from exc
        verb = "would create" if result.dry_run else "created"
        self.stdout.write(
            f"{file.name}: {verb} {result.created}, updated {result.updated}, unchanged {result.unchanged}"
            + (" (dry run: nothing written)" if result.dry_run else "")
        )
