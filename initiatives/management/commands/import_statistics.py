import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from initiatives.statistics.services import StatisticsImportError, statistics_import
from projectoffice.file_commands import FileImportCommand
from projectoffice.tabular import RowError


class Command(FileImportCommand):
    help = (
        "Import legal statistics (CSV in UTF-8 or XLSX; columns region,period,indicator,value). "
        "Every row is checked first; one bad row and nothing is written. Imported values count as approved. "
        "Figures that look wrong (unusual for the month, parts above their whole) are listed as warnings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--strict", action="store_true", help="refuse the file (write nothing) if it has warnings")

    def handle(self, *args: Any, file: Path, dry_run: bool, strict: bool = False, **options: Any) -> None:
        self.existing(file)
        started = time.monotonic()
        show_progress = sys.stderr.isatty() or options.get("verbosity", 1) > 1

        def progress(stage: str, done: int, total: int) -> None:
            if show_progress:
                of = f"/{total}" if total else ""
                self.stderr.write(f"\r{stage}: {done}{of} rows, {time.monotonic() - started:.0f}s", ending="")
                self.stderr.flush()

        try:
            result = statistics_import(source=file, dry_run=dry_run, progress=progress, strict=strict)
        except StatisticsImportError as exc:
            if show_progress:
                self.stderr.write("")
            refusal = self.refuse(file, exc.errors, exc.error_count, cause=exc)
            self.warn(file, exc.warnings, exc.warning_count)
            raise refusal from exc
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
        if result.warnings_count:
            summary += f"; {result.warnings_count} warning(s)"
        self.stdout.write(summary)
        self.warn(file, result.warnings, result.warnings_count)

    def warn(self, file: Path, warnings: list[RowError], count: int) -> None:
        """Each warning (line, column, reason), after the counts."""
        for warning in warnings:
            self.stdout.write(f"{file.name}: warning: {warning}")
        if count > len(warnings):
            self.stdout.write(f"{file.name}: ... and {count - len(warnings)} more warning(s)")
