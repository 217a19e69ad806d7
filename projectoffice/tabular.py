"""Reading the tables people upload (CSV in UTF-8, or XLSX) row by row, with line numbers.

Header problems and undecodable files are reported as `RowError`s, like bad rows, so a
command or a page can show one list of everything that is wrong.

Each problem has a stable `code` and its `params` (what a machine reads), and a message
made from them in the language active when it is read: a problem is stored as code and
params (`RowError.stored`), and read back in the reader's language (`RowError.read`).
Each module that reports problems registers the messages of its codes
(`problems_register`), so the codes and their words stay side by side.
"""

import csv
import io
import math
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# An XLSX is a zip: refuse one that unpacks to more than this before parsing it.
MAX_XLSX_UNPACKED_BYTES = 500 * 10**6


# A problem's words: a lazily translated template filled with its params, or a function
# of the params for words that need more than filling in.
ProblemWords = Promise | Callable[[Mapping[str, Any]], str]
_PROBLEMS: dict[str, ProblemWords] = {}
# Stored before problems had codes (only a message, in the language of the day).
UNCLASSIFIED = "unclassified"


def problems_register(words: Mapping[str, ProblemWords]) -> None:
    """The messages of a module's problem codes; a code means one thing everywhere."""
    for code, said in words.items():
        if _PROBLEMS.setdefault(code, said) is not said:
            raise ValueError(f"problem code {code!r} is registered twice")


def problem_message(code: str, params: Mapping[str, Any]) -> str:
    """The problem in words, in the active language."""
    said = _PROBLEMS.get(code)
    if said is None:
        return str(params.get("message", code))
    if isinstance(said, Promise):
        return str(said) % dict(params)
    return said(params)


@dataclass(frozen=True)
class RowError:
    line: int  # 1 is the header row; 0 means the file as a whole
    column: str
    message: str  # in the language active when it was made; `read` makes it again
    code: str = UNCLASSIFIED
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, line: int, column: str, code: str, /, **params: Any) -> "RowError":
        """A problem by its code; `params` are plain JSON values (text, numbers)."""
        return cls(line, column, problem_message(code, params), code, params)

    def stored(self) -> dict[str, Any]:
        """As kept in the database: no sentence, so it reads in its later reader's language."""
        if self.code == UNCLASSIFIED:
            return {"line": self.line, "column": self.column, "code": self.code, "params": {"message": self.message}}
        return {"line": self.line, "column": self.column, "code": self.code, "params": dict(self.params)}

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> "RowError":
        """A stored problem in the active language. Rows stored before codes existed hold
        only their message: they read as it was written, code `unclassified`."""
        code = str(stored.get("code") or UNCLASSIFIED)
        params = dict(stored.get("params") or {})
        if code == UNCLASSIFIED and "message" in stored:
            params = {"message": stored["message"]}
        return cls(
            int(stored.get("line") or 0), str(stored.get("column") or ""), problem_message(code, params), code, params
        )

    def as_json(self) -> dict[str, Any]:
        """What an API client reads: where, the code and its params, and the message."""
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "params": {} if self.code == UNCLASSIFIED else dict(self.params),
            "message": self.message,
        }

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line} if self.line else _("file")
        if self.column:
            where = f"{where}, {self.column}"
        return f"{where}: {self.message}"


problems_register(
    {
        UNCLASSIFIED: lambda params: str(params.get("message", "")),
        "not_utf8": gettext_lazy("the file is not UTF-8 text (byte %(pos)s); save it as CSV UTF-8"),
        "unreadable_csv": gettext_lazy("the CSV cannot be read here: %(reason)s"),
        "not_xlsx": gettext_lazy("the file is not a readable XLSX workbook"),
        "xlsx_too_large": gettext_lazy("the workbook unpacks to more than %(mb)s MB; split it or send CSV"),
        "empty_file": gettext_lazy("the file is empty; expected a header row: %(cols)s"),
        "missing_columns": gettext_lazy("missing column(s): %(cols)s"),
        "unexpected_columns": gettext_lazy("unexpected column(s): %(cols)s"),
        "duplicate_columns": gettext_lazy("column(s) given twice: %(cols)s"),
    }
)


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
    if isinstance(value, float) and math.isfinite(value):
        # A spreadsheet's number is a binary float: read it as the shortest decimal that
        # is that float (repr), written out plainly (1e+23 as 100000000000000000000000,
        # 1e-05 as 0.00001), so the checks of the text see what the person typed, not
        # the float's exact binary expansion, and refuse what they would refuse in a CSV.
        return format(Decimal(repr(value)).normalize(), "f")
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
        raise TableError([RowError.of(0, "", "not_utf8", pos=position)]) from exc
    except csv.Error as exc:
        raise TableError([RowError.of(reader.line_num, "", "unreadable_csv", reason=str(exc))]) from exc
    finally:
        text.detach()


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    # A zip is read from its end: openpyxl needs all of it (its rows are still streamed).
    from openpyxl import load_workbook

    try:
        unpacked = sum(entry.file_size for entry in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile as exc:
        raise TableError([RowError.of(0, "", "not_xlsx")]) from exc
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise TableError([RowError.of(0, "", "xlsx_too_large", mb=MAX_XLSX_UNPACKED_BYTES // 10**6)])
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise TableError([RowError.of(0, "", "not_xlsx")]) from exc
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
        raise TableError([RowError.of(0, "", "empty_file", cols=", ".join(required))])
    header = [cell.strip().lower() for cell in header_cells]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name and name not in required and name not in optional]
    problems = []
    if missing:
        problems.append(RowError.of(1, "", "missing_columns", cols=", ".join(missing)))
    if unknown:
        problems.append(RowError.of(1, "", "unexpected_columns", cols=", ".join(unknown)))
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        problems.append(RowError.of(1, "", "duplicate_columns", cols=", ".join(duplicated)))
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
    source: Path | IO[bytes],
    *,
    columns: tuple[str, ...],
    optional: tuple[str, ...] = (),
    filename: str = "",
    on_header: Callable[[list[str]], None] | None = None,
) -> Iterator[tuple[int, list[str], int]]:
    """read_table for files of millions of rows: (line, cells in the order of `columns`,
    non-empty cells beyond the header) without building a dict and an object per row.
    The file is read as it goes, so memory does not grow with it. `optional` columns may
    be in the file and are read past; `on_header` is told the header's names once read."""
    lines = _lines(source, filename)
    header = _header(lines, columns, optional)
    if on_header is not None:
        on_header(header)
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
