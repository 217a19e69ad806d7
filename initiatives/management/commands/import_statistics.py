import sys
import time
from pathlib import Path
from typing import Any

from initiatives.statistics.services import StatisticsImportError, statistics_import
from projectoffice.file_commands import FileImportCommand


class Command(FileImportCommand):
    help = (
        "Import legal statistics (CSV in UTF-8 or XLSX; columns region,period,indicator,value). "
        "Every row is checked first; one bad row and nothing is written. Imported values count as approved."
    )

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        self.existing(file)
        started = time.monotonic()
        show_progress = sys.stderr.isatty() or options.get("verbosity", 1) > 1

        def progress(stage: str, done: int, total: int) -> None:
            if show_progress:
                of = f"/{total}" if total else ""
                self.stderr.write(f"\r{stage}: {done}{of} rows, {time.monotonic() - started:.0f}s", ending="")
                self.stderr.flush()

        try:
            result = statistics_import(source=file, dry_run=dry_run, progress=progress)
        except StatisticsImportError as exc:
            if show_progress:
                self.stderr.write("")
            raise self.refuse(file, exc.errors, exc.error_count, cause=exc) from exc
        if show_progress:
            self.stderr.write("")
        summary = (
            f"{file.name}: rows {result.rows}; created {result.created}, replaced {result.updated}, "
            f"unchanged {result.unchanged} in {time.monotonic() - started:.1f}s"
        )
        if result.skipped:
            summary += f"; skipped {result.skipped} template row(s) left without a value"
        if result.dry_run:
            summary += " (dry run: nothing written)"
        elif result.batch is not None:
            summary += f" (import #{result.batch.pk})"
        self.stdout.write(summary)
