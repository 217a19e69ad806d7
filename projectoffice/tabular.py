"""Reading the tables people upload (CSV in UTF-8, or XLSX) row by row, with line numbers.

Header problems and undecodable files are reported as `RowError`s, like bad rows, so a
command or a page can show one list of everything that is wrong.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

# An XLSX is a zip: refuse one that unpacks to more than this before parsing it.
MAX_XLSX_UNPACKED_BYTES = 500 * 10**6


@dataclass(frozen=True)
class RowError:
    line: int  # 1 is the header row; 0 means the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line} if self.line else _("file")
        if self.column:
            where = f"{where}, {self.column}"
        return f"{where}: {self.message}"


class TableError(Exception):
    """The file cannot be read as a table at all; `errors` says why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]
    extra_cells: int = 0  # non-empty cells beyond the header: a shifted row, usually


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Bytes read from a CSV at a time: memory stays flat however long the file is.
CSV_CHUNK_BYTES = 1 << 20


class _Counted(io.RawIOBase):
    """A byte stream read through, counting, so a decoding error can say where it is;
    closing it leaves the caller's stream open."""

    def __init__(self, stream: IO[bytes], prefix: bytes = b"") -> None:
        self.stream, self.prefix, self.delivered = stream, prefix, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.prefix:
            data, self.prefix = self.prefix[: len(buffer)], self.prefix[len(buffer) :]
        else:
            data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        self.delivered += len(data)
        return len(data)


def _csv_rows(stream: IO[bytes], prefix: bytes = b"") -> Iterator[list[str]]:
    raw = _Counted(stream, prefix)
    text = io.TextIOWrapper(io.BufferedReader(raw, CSV_CHUNK_BYTES), encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        yield from reader
    except UnicodeDecodeError as exc:
        # exc.object is the chunk being decoded, the last one read from the stream.
        position = max(raw.delivered - len(exc.object) + exc.start, 0)
        raise TableError(
            [RowError(0, "", _("the file is not UTF-8 text (byte %(pos)s); save it as CSV UTF-8") % {"pos": position})]
        ) from exc
    except csv.Error as exc:
        raise TableError(
            [RowError(reader.line_num, "", _("the CSV cannot be read here: %(reason)s") % {"reason": exc})]
        ) from exc
    finally:
        text.detach()


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    # A zip is read from its end: openpyxl needs all of it (its rows are still streamed).
    from openpyxl import load_workbook

    try:
        unpacked = sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile as exc:
        raise TableError([RowError(0, "", _("the file is not a readable XLSX workbook"))]) from exc
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise TableError(
            [
                RowError(
                    0,
                    "",
                    _("the workbook unpacks to more than %(mb)s MB; split it or send CSV")
                    % {"mb": MAX_XLSX_UNPACKED_BYTES // 10**6},
                )
            ]
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise TableError([RowError(0, "", _("the file is not a readable XLSX workbook"))]) from exc
    try:
        sheet = workbook.worksheets[0]
        # The sheet's own <dimension> can claim a million rows by 16,384 columns; read
        # the cells that are there instead of padding out to what it claims.
        sheet.reset_dimensions()
        for cells in sheet.iter_rows(values_only=True):
            yield [_cell(value) for value in cells]
    finally:
        workbook.close()


def _lines(source: Path | IO[bytes], filename: str) -> Iterator[list[str]]:
    """The file's rows as lists of cells, read as they are needed."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            yield from _lines(stream, filename or source.name)
        return
    head = source.read(2)
    if filename.lower().endswith(".xlsx") or head == b"PK":
        yield from _xlsx_rows(head + source.read())
    else:
        yield from _csv_rows(source, prefix=head)


def _header(lines: Iterator[list[str]], required: tuple[str, ...], optional: tuple[str, ...]) -> list[str]:
    """The lower-cased column names; TableError when the header is unusable."""
    header_cells = next(lines, None)
    if header_cells is None or not any(cell.strip() for cell in header_cells):
        raise TableError(
            [RowError(0, "", _("the file is empty; expected a header row: %(cols)s") % {"cols": ", ".join(required)})]
        )
    header = [cell.strip().lower() for cell in header_cells]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name and name not in required and name not in optional]
    problems = []
    if missing:
        problems.append(RowError(1, "", _("missing column(s): %(cols)s") % {"cols": ", ".join(missing)}))
    if unknown:
        problems.append(RowError(1, "", _("unexpected column(s): %(cols)s") % {"cols": ", ".join(unknown)}))
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        problems.append(RowError(1, "", _("column(s) given twice: %(cols)s") % {"cols": ", ".join(duplicated)}))
    if problems:
        raise TableError(problems)
    return header


def read_table(
    source: Path | IO[bytes],
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    filename: str = "",
) -> Iterator[Row]:
    """Rows of a CSV or XLSX file as dicts keyed by the lower-cased column names.

    Raises TableError before the first row when the file or its header is unusable.
    Blank lines are skipped; their line numbers still count.
    """
    lines = _lines(source, filename)
    header = _header(lines, required, optional)
    for line, cells in enumerate(lines, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
        extra = sum(1 for cell in cells[len(header) :] if cell.strip())
        yield Row(line=line, values=values, extra_cells=extra)


def read_cells(
    source: Path | IO[bytes], *, columns: tuple[str, ...], filename: str = ""
) -> Iterator[tuple[int, list[str], int]]:
    """read_table for files of millions of rows: (line, cells in the order of `columns`,
    non-empty cells beyond the header) without building a dict and an object per row.
    The file is read as it goes, so memory does not grow with it."""
    lines = _lines(source, filename)
    header = _header(lines, columns, ())
    width = len(header)
    positions = [header.index(name) for name in columns]
    for line, cells in enumerate(lines, start=2):
        if not "".join(cells).strip():
            continue
        if len(cells) == width:
            yield line, [cells[i].strip() for i in positions], 0
        else:
            extra = sum(1 for cell in cells[width:] if cell.strip())
            yield line, [cells[i].strip() if i < len(cells) else "" for i in positions], extra
