"""A page's table as a file: CSV (UTF-8, one header row of column codes) or XLSX (a row of
the column names in the reader's language above the row of codes, on a named sheet), the
same rows either way.

Callers pass numbers as Decimals (written plainly: no grouping, a point for the decimals),
text as str and None where there is nothing. Text a spreadsheet would run as a formula is
written behind a quote (`projectoffice.cell_safety`)."""

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from .cell_safety import safe_cell

FORMATS = ("csv", "xlsx")


def table_response(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    filename: str,
    fmt: str,
    as_of: datetime.datetime | None = None,
    as_of_label: str = "figures as of",
    labels: Sequence[str] | None = None,
    sheet_title: str = "",
) -> HttpResponse:
    """`as_of`: when the figures last changed. It goes in the file's name (both formats:
    a CSV keeps its one header row) and, in XLSX, on a second sheet as well. `labels`: the
    columns' names for people, the XLSX's first row (programs read the codes below it);
    `sheet_title`: the name of its sheet."""
    if as_of is not None:
        filename = f"{filename}-as-of-{as_of:%Y-%m-%d-%H%M}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = _sheet_title(sheet_title or filename)
        if labels is not None:
            sheet.append([safe_cell(label) for label in labels])
        sheet.append(list(header))
        for row in rows:
            sheet.append([_xlsx_cell(c) for c in row])
        if as_of is not None:
            workbook.create_sheet("about").append([as_of_label, as_of.replace(tzinfo=None)])
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows([["" if c is None else safe_cell(c) for c in row] for row in rows])
        response = HttpResponse(text.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt if fmt in FORMATS else "csv"}"'
    return response


def xlsx_number(value: Decimal | None) -> int | float | None:
    """A Decimal as a number in a sheet: a whole one as an integer (400, not 400.0)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _xlsx_cell(value: Any) -> Any:
    """Decimals become numbers in the sheet; text (a KATO code too) stays text."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return xlsx_number(value)
    return safe_cell(value)  # openpyxl would store "=..." as a formula


def _sheet_title(title: str) -> str:
    """A name a spreadsheet accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in title).strip()
    return cleaned[:31] or "table"
