"""The pre-filled statistics template as an XLSX: the import's columns
(`region,period,indicator,value`) with names and reference figures beside them, every cell
locked but `value`, and the codes held to lists (issue 18). The import reads it back as it
is: it ignores the reference columns and skips rows left without a value."""

import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from projectoffice.cell_safety import safe_cell
from projectoffice.table_download import xlsx_number
from regions.models import Region

from ..periods import Period
from .staging import TEMPLATE_COLUMNS


@dataclass(frozen=True)
class TemplateRow:
    kato: str
    region_name: str
    indicator: str
    indicator_name: str
    last_year: Decimal | None
    last_period: Decimal | None


@dataclass(frozen=True)
class StatisticsTemplate:
    region: Region
    period: Period
    last_year: Period
    last_period: Period
    rows: list[TemplateRow]
    region_codes: list[str]
    indicator_codes: list[str]


HEADER = ("region", "region_name", "period", "indicator", "indicator_name", "value", *TEMPLATE_COLUMNS[2:])
VALUE_COLUMN = HEADER.index("value") + 1
WIDTHS = {"region": 12, "region_name": 30, "period": 16, "indicator": 26, "indicator_name": 44, "value": 14}
# The hidden sheet the code lists are read from (a list written inline holds 255 characters at most).
LISTS_SHEET = "lists"


def statistics_template_xlsx(template: StatisticsTemplate) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = str(template.period).replace("/", "-")
    sheet.append(list(HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.cell(1, HEADER.index("last_year") + 1).comment = Comment(
        _("%(period)s, for reference; not imported") % {"period": template.last_year}, "KPSSU"
    )
    sheet.cell(1, HEADER.index("last_period") + 1).comment = Comment(
        _("%(period)s, for reference; not imported") % {"period": template.last_period}, "KPSSU"
    )
    sheet.cell(1, VALUE_COLUMN).comment = Comment(
        _("The figure for %(period)s; a row left empty is skipped") % {"period": template.period}, "KPSSU"
    )
    period = str(template.period)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for row in template.rows:
        sheet.append(
            [
                row.kato,
                # Names are typed by people: through the formula rule, as every XLSX cell the project writes.
                safe_cell(row.region_name),
                period,
                row.indicator,
                safe_cell(row.indicator_name),
                None,
                xlsx_number(row.last_year),
                xlsx_number(row.last_period),
            ]
        )
        cell = sheet.cell(sheet.max_row, VALUE_COLUMN)
        cell.protection = Protection(locked=False)
        cell.fill = fill
    for index, name in enumerate(HEADER, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(name, 14)
    sheet.freeze_panes = "A2"

    lists = workbook.create_sheet(LISTS_SHEET)
    for index, code in enumerate(template.region_codes, start=1):
        lists.cell(index, 1, code)
    for index, code in enumerate(template.indicator_codes, start=1):
        lists.cell(index, 2, code)
    lists.sheet_state = "hidden"
    lists.protection.sheet = True

    last = max(sheet.max_row, 2)
    for column, (list_column, count) in {
        "region": ("A", len(template.region_codes)),
        "indicator": ("B", len(template.indicator_codes)),
    }.items():
        letter = get_column_letter(HEADER.index(column) + 1)
        check = DataValidation(
            type="list",
            formula1=f"={LISTS_SHEET}!${list_column}$1:${list_column}${max(count, 1)}",
            allow_blank=False,
            showErrorMessage=True,
        )
        check.error = _("Choose a code from the list")
        check.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(check)
    value_letter = get_column_letter(VALUE_COLUMN)
    number = DataValidation(
        type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True, showErrorMessage=True
    )
    number.error = _("A number, zero or more")
    number.add(f"{value_letter}2:{value_letter}{last}")
    sheet.add_data_validation(number)
    # Locked cells cannot be edited while the sheet is protected; `value` is unlocked.
    # No password: the lock guards against slips, not against the person filling it in.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widening a column stays allowed

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
