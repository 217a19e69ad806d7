from pathlib import Path
from typing import Any

from projectoffice.file_commands import FileImportCommand
from regions.services import KatoImportError, regions_import_kato


class Command(FileImportCommand):
    help = (
        "Load the official KATO classifier (CSV in UTF-8 or XLSX; columns TE, AB, CD, EF, HIJ, "
        "K, NAME_KAZ, NAME_RUS, NN). All rows are checked first; one bad row and nothing is written."
    )

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        try:
            result = regions_import_kato(source=self.existing(file), dry_run=dry_run)
        except KatoImportError as exc:
            raise self.refuse(file, exc.errors, cause=exc) from exc
        verb = "would create" if result.dry_run else "created"
        self.stdout.write(
            f"{file.name}: {verb} {result.created}, updated {result.updated}, unchanged {result.unchanged}"
            + (" (dry run: nothing written)" if result.dry_run else "")
        )
