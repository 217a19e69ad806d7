"""KATO codes: the national classifier of administrative-territorial objects.

A code has nine digits, `AB CD EF HIJ`: region, district, rural okrug (or town),
settlement. The last group that is not all zeros gives the level (1 to 4).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from projectoffice.tabular import Row, RowError

KATO_PATTERN = re.compile(r"^[0-9]{9}$")
# (start, end) of each group of digits; group i is level i + 1.
GROUPS: tuple[tuple[int, int], ...] = ((0, 2), (2, 4), (4, 6), (6, 9))


class KatoCodeError(ValueError):
    pass


def validate_kato(code: str) -> str:
    """The code itself when it is a well-formed KATO code; KatoCodeError otherwise."""
    if not KATO_PATTERN.match(code):
        raise KatoCodeError(f"KATO code {code!r} must be exactly 9 digits")
    if code[0:2] == "00":
        raise KatoCodeError(f"KATO code {code!r} has no region (its first two digits are 00)")
    return code


def kato_level(code: str) -> int:
    """1 for a region, 2 district, 3 rural okrug or town, 4 settlement."""
    validate_kato(code)
    level = 1
    for index, (start, end) in enumerate(GROUPS):
        if int(code[start:end]):
            level = index + 1
    return level


def kato_prefix(code: str) -> str:
    """The digits that every descendant of this code shares with it."""
    return code[: GROUPS[kato_level(code) - 1][1]]


def kato_top(code: str) -> str:
    """The first-level region (oblast or city of republican significance) a code lies in."""
    return code[:2] + "0000000"


def kato_ancestors(code: str) -> list[str]:
    """The codes above this one, nearest first. Some may not exist in the classifier
    (a settlement directly under a district has no okrug), so callers take the first
    that does."""
    level = kato_level(code)
    ancestors = []
    for parent_level in range(level - 1, 0, -1):
        end = GROUPS[parent_level - 1][1]
        candidate = code[:end].ljust(9, "0")
        if candidate != code and kato_level(candidate) == parent_level:
            ancestors.append(candidate)
    return ancestors


# --- The official classifier file -------------------------------------------------

KATO_FILE_COLUMNS = ("te", "ab", "cd", "ef", "hij", "name_kaz", "name_rus")
KATO_FILE_OPTIONAL = ("k", "nn")
_GROUP_COLUMNS = (("ab", 0, 2), ("cd", 2, 4), ("ef", 4, 6), ("hij", 6, 9))
# The three cities of republican significance are first-level units of their own.
REPUBLICAN_CITY_PREFIXES = frozenset({"71", "75", "79"})


@dataclass(frozen=True)
class KatoEntry:
    line: int
    code: str
    level: int
    name_kk: str
    name_ru: str


def guess_kind(code: str, level: int, name_ru: str, parent_kind: str | None) -> str:
    """The kind of unit, read from its level and the usual abbreviations of its Russian name.

    The classifier has no reliable kind column, so this follows its naming habits:
    "г." or "Г.А." for cities and city administrations, "с.о." for rural okrugs.
    """
    name = name_ru.lower()
    if level == 1:
        return "city" if code[:2] in REPUBLICAN_CITY_PREFIXES else "region"
    if level == 2:
        if parent_kind == "city":
            return "city_district"
        if name.startswith("г.") or "г.а." in name or name.startswith("город"):
            return "city"
        return "district"
    if level == 3:
        if name.startswith("г.") or name.startswith("город"):
            return "city"
        return "rural_okrug"
    return "settlement"


def parse_kato_rows(rows: Iterable[Row]) -> tuple[list[KatoEntry], list[RowError]]:
    """Check every row of a classifier file on its own; report all problems, not the first."""
    entries: list[KatoEntry] = []
    errors: list[RowError] = []
    first_line_of: dict[str, int] = {}
    for row in rows:
        v = row.values
        code = v["te"]
        row_errors = []
        if row.extra_cells:
            row_errors.append(RowError(row.line, "", _("more values than columns in the header")))
        try:
            validate_kato(code)
        except KatoCodeError as exc:
            row_errors.append(RowError(row.line, "TE", str(exc)))
        else:
            for column, start, end in _GROUP_COLUMNS:
                given = v[column]
                width = end - start
                if given and (not given.isdigit() or given.zfill(width) != code[start:end]):
                    row_errors.append(
                        RowError(
                            row.line,
                            column.upper(),
                            _("%(given)r does not match digits %(digits)s of TE %(code)s")
                            % {"given": given, "digits": code[start:end], "code": code},
                        )
                    )
            if code in first_line_of:
                row_errors.append(
                    RowError(
                        row.line,
                        "TE",
                        _("%(code)s already given on line %(line)s") % {"code": code, "line": first_line_of[code]},
                    )
                )
            else:
                first_line_of[code] = row.line
        for column in ("name_kaz", "name_rus"):
            if not v[column]:
                row_errors.append(RowError(row.line, column.upper(), _("the name is empty")))
        if row_errors:
            errors.extend(row_errors)
            continue
        entries.append(KatoEntry(row.line, code, kato_level(code), v["name_kaz"], v["name_rus"]))
    return entries, errors
