"""What the management commands that load a file share: the arguments, and a refusal
that lists every problem on stderr and exits non-zero."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .tabular import RowError


class FileImportCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def existing(self, file: Path) -> Path:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        return file

    def refuse(
        self, file: Path, errors: Sequence[RowError], count: int | None = None, *, cause: Any = None
    ) -> CommandError:
        """Print every problem reported, then the error to raise (exit code 1)."""
        for error in errors:
            self.stderr.write(f"{file.name}: {error}")
        count = len(errors) if count is None else count
        if count > len(errors):
            self.stderr.write(f"{file.name}: ... and {count - len(errors)} more")
        refusal = CommandError(f"{file.name}: refused, {count} problem(s); nothing was written")
        refusal.__cause__ = cause
        return refusal
