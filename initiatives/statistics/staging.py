"""Streaming a legal-statistics file into the staging table the checks read.

On PostgreSQL a plain CSV goes in by COPY as it is, numbered the way the row reader
numbers lines; anything unusual (blank lines, missing or extra cells, bad bytes, XLSX, an
upload that cannot seek) goes through the row reader, in batches. SQLite takes batched
inserts. Nothing is kept in Python beyond one batch, whatever the size of the file.
"""

import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper

from projectoffice.tabular import CSV_CHUNK_BYTES

COLUMNS = ("region", "period", "indicator", "value")
# What a pre-filled template adds (template.py): names and reference figures,
# read past by the import.
TEMPLATE_COLUMNS = ("region_name", "indicator_name", "last_year", "last_period")

# The staging tables, private to the session (temporary) and gone with the transaction.
RAW = "statistics_import_raw"
CHECKED = "statistics_import_checked"
PERIODS = "statistics_import_periods"
INDICATORS = "statistics_import_indicators"
# The warnings' own (warnings.py), in the order it names them.
WARNING_TABLES = tuple(
    f"statistics_import_{name}"
    for name in ("candidates", "past", "unusual", "relations", "sums", "checks", "missing", "broken")
)
STAGING_TABLES = (RAW, CHECKED, PERIODS, INDICATORS, *WARNING_TABLES)

# Rows between two progress reports while reading; rows per insert on SQLite.
PROGRESS_EVERY = 10_000
SQLITE_BATCH = 10_000


def temporary(cursor: CursorWrapper, name: str, definition: str, *, session: bool = False) -> None:
    """A staging table of this session; on PostgreSQL dropped at commit whatever happens,
    unless it is filled before the transaction that reads it (`session`); `staging_drop`
    drops them all."""
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" and not session else ""
    cursor.execute(f"CREATE TEMPORARY TABLE {name} {definition}{on_commit}")


def stage_skip_unfilled() -> int:
    """Drop the staged rows of a template left without a value (one statement); how many."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {RAW} WHERE value = ''")  # noqa: S608 - our name
        return int(cursor.rowcount)


def staging_drop() -> None:
    with connection.cursor() as cursor:
        for name in STAGING_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def stage_rows(rows: Iterable[tuple[int, list[str], int]], progress: Callable[[int], None] | None = None) -> int:
    """Stream (line, [region, period, indicator, value], extra cells) into the staging
    table: by COPY on PostgreSQL, in batches on SQLite. Returns the number of rows."""
    total = 0
    with connection.cursor() as cursor:
        temporary(
            cursor,
            RAW,
            "(line integer NOT NULL, region text NOT NULL, period text NOT NULL, indicator text NOT NULL, "
            "value text NOT NULL, extra integer NOT NULL)",
            session=True,
        )
        if connection.vendor == "postgresql":
            # A COPY per batch: between two the connection is free for the progress
            # (a job writes it to its row).
            batch: list[tuple[Any, ...]] = []
            for line, cells, extra in _readable(rows):
                batch.append((line, *cells, extra))
                total += 1
                if len(batch) == PROGRESS_EVERY:
                    _copy_rows(cursor, batch)
                    batch.clear()
                    if progress:
                        progress(total)
            _copy_rows(cursor, batch)
        else:
            sql = f"INSERT INTO {RAW} (line, region, period, indicator, value, extra) VALUES (%s, %s, %s, %s, %s, %s)"  # noqa: S608
            batch = []
            for line, cells, extra in _readable(rows):
                batch.append((line, *cells, extra))
                total += 1
                if len(batch) == SQLITE_BATCH:
                    cursor.executemany(sql, batch)
                    batch.clear()
                    if progress:
                        progress(total)
            if batch:
                cursor.executemany(sql, batch)
    return total


# What Python's str.strip() removes, for SQL's btrim(): cells are compared stripped.
# Written out, not computed over every code point when a process starts (a test checks it).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Bytes without which no cell can begin or end with whitespace: a space or a tab next
# to a separator or a line break, a quote (a quoted cell may hold anything), the other
# ASCII spaces anywhere, and the lead bytes of Unicode spaces (U+0085, U+00A0, U+1680,
# U+2000-U+205F, U+3000). Absent all (the usual file), nothing needs stripping.
_MAYBE_PADDED = (
    b" ,", b", ", b" \n", b"\n ", b" \r", b"\r ", b"\t", b'"', b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f",
    b"\xc2\x85", b"\xc2\xa0", b"\xe1\x9a\x80", b"\xe2\x80", b"\xe2\x81\x9f", b"\xe3\x80\x80",
)  # fmt: skip
# A header longer than this is not one this fast path takes.
MAX_HEADER_BYTES = 64 * 1024


class _NotPlain(Exception):
    """The file needs the careful reader (see stage_file)."""


def stage_file(source: Path | IO[bytes], filename: str) -> int | None:
    """On PostgreSQL, a plain CSV goes into the staging table by COPY, as it is, without
    a row passing through Python; the database numbers the rows as the reader would.

    Plain: UTF-8, one line per row, every row with the header's four cells. Anything
    else (a blank line, a missing or extra cell, bad bytes, `\\.`, XLSX) makes COPY fail
    or is spotted here; then nothing of it stays and False says to use `stage_rows`,
    which reads row by row and reports each problem by line. A number: the rows staged."""
    if connection.vendor != "postgresql" or filename.lower().endswith(".xlsx"):
        return None
    if isinstance(source, Path):
        with source.open("rb") as stream:
            return stage_file(stream, filename)
    if not source.seekable():
        return None
    start = source.tell()
    try:
        with transaction.atomic():
            return _copy_plain(source)
    except (_NotPlain, DatabaseError):
        source.seek(start)
        return None


def _copy_plain(stream: IO[bytes]) -> int:
    head = stream.readline(MAX_HEADER_BYTES)
    if not head.endswith(b"\n") or b'"' in head or head.startswith(b"PK"):
        raise _NotPlain
    try:
        cells = next(csv.reader([head.decode("utf-8-sig")]))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        raise _NotPlain from None
    # A header with a problem is reported by the careful reader, in the same words.
    if len(cells) != len(COLUMNS) or set(c.strip().lower() for c in cells) != set(COLUMNS):
        raise _NotPlain
    order = ", ".join(c.strip().lower() for c in cells)
    with connection.cursor() as cursor:
        temporary(
            cursor,
            RAW,
            "(line integer GENERATED BY DEFAULT AS IDENTITY (START WITH 2) NOT NULL, region text NOT NULL, "
            "period text NOT NULL, indicator text NOT NULL, value text NOT NULL, extra integer NOT NULL DEFAULT 0)",
            session=True,
        )
        with (
            connection.wrap_database_errors,
            cursor.copy(f"COPY {RAW} ({order}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({order}))") as copy,
        ):
            tail, padded = b"", False
            while chunk := stream.read(CSV_CHUNK_BYTES):
                seen = tail + chunk
                # COPY would end the data silently at a line holding only `\.`.
                if b"\\." in seen:
                    raise _NotPlain
                padded = padded or any(pattern in seen for pattern in _MAYBE_PADDED)
                copy.write(chunk)
                tail = chunk[-3:]
            padded = padded or tail.endswith(b" ")
        copied = int(cursor.rowcount)
        if not padded:
            return copied
        stripped = " OR ".join(f"{c} <> btrim({c}, %s)" for c in COLUMNS)
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {RAW} WHERE {stripped})", [WHITESPACE] * len(COLUMNS))  # noqa: S608
        if cursor.fetchone()[0]:
            # Cells with spaces around them, as the reader would strip them (rare).
            trimmed = ", ".join(f"{c} = btrim({c}, %s)" for c in COLUMNS)
            cursor.execute(f"UPDATE {RAW} SET {trimmed}", [WHITESPACE] * len(COLUMNS))  # noqa: S608
    return copied


def _copy_rows(cursor: CursorWrapper, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    columns = "line, region, period, indicator, value, extra"
    with connection.wrap_database_errors, cursor.copy(f"COPY {RAW} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _readable(rows: Iterable[tuple[int, list[str], int]]) -> Iterator[tuple[int, list[str], int]]:
    """Rows as the database can store them: a NUL character (which text columns refuse)
    becomes U+FFFD, so the row is reported as wrong instead of the file failing whole."""
    for line, cells, extra in rows:
        if "\x00" in cells[0] or "\x00" in cells[1] or "\x00" in cells[2] or "\x00" in cells[3]:
            cells = [cell.replace("\x00", "\ufffd") for cell in cells]
        yield line, cells, extra
