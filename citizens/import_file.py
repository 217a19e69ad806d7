"""Reading an existing register (CSV in UTF-8 or XLSX) and checking every row of it.

    agency,region,received_on,channel,offence,status,decided_on,decision_no,reward,
    amount_kzt,awarded_on,law_enforcement_staff,iin,full_name,phone

Nothing is written here: the result is every row checked and ready, or every problem,
each with its line, column and reason. No problem quotes a cell: a row shifted by a lost
or stray delimiter puts the IIN, a name or a phone under another column's name, so a
cell's column does not say whether it holds personal data.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from agencies.models import RegionalBranch
from projectoffice.dates import iso_date
from projectoffice.tabular import RowError, TableError, read_table

from .models import Channel, CitizenReport, CitizenReportStatus, Offence, Reward
from .rules import date_problems, decision_problems, personal_data_problems, reward_problems

COLUMNS = (
    "agency",
    "region",
    "received_on",
    "channel",
    "offence",
    "status",
    "decided_on",
    "decision_no",
    "reward",
    "amount_kzt",
    "awarded_on",
    "law_enforcement_staff",
    "iin",
    "full_name",
    "phone",
)
YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class CheckedRow:
    line: int
    report: CitizenReport
    iin: str
    full_name: str
    phone: str


@dataclass
class CheckResult:
    rows: list[CheckedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _date_cell(value: str, column: str, line: int, errors: list[RowError]) -> datetime.date | None:
    """The date in a cell, or None with the problem added to `errors`."""
    try:
        return iso_date(value)
    except ValueError:
        errors.append(RowError(line, column, _("not a date written YYYY-MM-DD")))
        return None


def _choice(value: str, column: str, allowed: list[str], line: int, errors: list[RowError]) -> str | None:
    if value in allowed:
        return value
    if not value:
        errors.append(RowError(line, column, _("empty; expected one of %(allowed)s") % {"allowed": ", ".join(allowed)}))
    else:
        errors.append(RowError(line, column, _("not one of %(allowed)s") % {"allowed": ", ".join(allowed)}))
    return None


def _check_row(
    line: int, v: dict[str, str], branches: dict[tuple[str, str], RegionalBranch], today: datetime.date
) -> tuple[CheckedRow | None, list[RowError]]:
    errors: list[RowError] = []
    branch = branches.get((v["agency"], v["region"]))
    if branch is None:
        errors.append(
            RowError(line, "region", _("no branch of the register has this agency code and this region code"))
        )
    received_on = _date_cell(v["received_on"], "received_on", line, errors)
    if received_on is None and not v["received_on"]:
        errors.append(RowError(line, "received_on", _("the date received is required")))
    channel = _choice(v["channel"], "channel", Channel.values, line, errors)
    offence = _choice(v["offence"], "offence", Offence.values, line, errors)
    status = _choice(v["status"], "status", CitizenReportStatus.values, line, errors)
    decided_on = _date_cell(v["decided_on"], "decided_on", line, errors)
    awarded_on = _date_cell(v["awarded_on"], "awarded_on", line, errors)
    reward = _choice(v["reward"] or Reward.NONE, "reward", Reward.values, line, errors)
    staff = YES_NO.get(v["law_enforcement_staff"].lower())
    if staff is None:
        errors.append(RowError(line, "law_enforcement_staff", _("not yes or no")))
    amount: Decimal | None = None
    if v["amount_kzt"]:
        try:
            amount = Decimal(v["amount_kzt"])
            if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
                raise InvalidOperation
        except InvalidOperation:
            errors.append(RowError(line, "amount_kzt", _("not an amount in tenge")))
            amount = None
    problems = personal_data_problems(iin=v["iin"], full_name=v["full_name"], phone=v["phone"])
    for name, day in (("received_on", received_on), ("decided_on", decided_on), ("awarded_on", awarded_on)):
        problems += date_problems(field=name, day=day, today=today)
    if status is not None and received_on is not None:
        problems += decision_problems(
            status=status, decided_on=decided_on, decision_no=v["decision_no"], received_on=received_on
        )
    if status is not None and reward is not None and staff is not None:
        problems += reward_problems(
            status=status,
            reward=reward,
            amount_kzt=amount,
            awarded_on=awarded_on,
            paid_on=None,
            law_enforcement_staff=staff,
            decided_on=decided_on,
        )
    errors += [RowError(line, name, message) for name, message in problems]
    if errors or branch is None or received_on is None:
        return None, errors
    report = CitizenReport(
        branch=branch,
        received_on=received_on,
        channel=channel or "",
        offence=offence or "",
        status=status or "",
        decided_on=decided_on,
        decision_no=v["decision_no"],
        reward=reward or Reward.NONE,
        amount_kzt=amount,
        awarded_on=awarded_on,
        law_enforcement_staff=bool(staff),
    )
    return CheckedRow(line, report, v["iin"], v["full_name"], v["phone"]), []


def check_citizen_reports(source: Path | IO[bytes], *, filename: str = "", today: datetime.date) -> CheckResult:
    result = CheckResult()
    branches = {(b.agency.code, b.region.kato): b for b in RegionalBranch.objects.select_related("agency", "region")}
    try:
        for row in read_table(source, required=COLUMNS, filename=filename):
            if row.extra_cells:
                result.errors.append(RowError(row.line, "", _("the row has more cells than the header")))
                continue
            checked, errors = _check_row(row.line, row.values, branches, today)
            if checked is not None:
                result.rows.append(checked)
            result.errors += errors
    except TableError as exc:
        result.errors += exc.errors
    if not result.rows and not result.errors:
        result.errors.append(RowError(0, "", _("the file has no rows")))
    return result
