"""Reporting timeliness: which branch handed in which report, and whether on time.

Who owes what is the reporting cycles' (`ReportingCycle.agencies`): every active branch
of an agency named there owes that kind of report, whether or not it has a coordinator;
one without is marked so and its reports count missing like anyone's. A branch that owes
nothing but handed in a report that year is shown too, its cells "not owed", outside the
rate.

"On time" is judged by the first submission (the history's first "submitted" record),
whatever happened after: a report returned and resubmitted late was still on time, and
a report approved after its due date but first submitted before it too. A period whose
due date has not come yet is not expected; one whose due date passed with no submission
is missing (no report at all) or late (a draft or a report submitted after the date).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.access import scoped_to_user
from agencies.models import Agency, Membership, MembershipRole, RegionalBranch
from projectoffice.numbers import rounded

from ..models import Report, ReportKind, ReportState
from ..periods import Month, Period
from .reports import due_date_for, reporting_cycles, reporting_duty
from .words import span_in_words

MISSING = "missing"
NOT_OWED = "not_owed"


class Timeliness:
    ON_TIME = "on_time"
    LATE = "late"
    NOT_IN = "not_in"  # due date passed, nothing submitted yet
    NOT_DUE = "not_due"
    NOT_OWED = NOT_OWED  # the branch's agency does not owe this kind of report


@dataclass
class Cell:
    kind: str
    period: Period
    due_date: datetime.date
    report: Report | None
    first_submitted: datetime.datetime | None
    timeliness: str

    @property
    def state(self) -> str:
        if self.report is not None:
            return str(self.report.state)
        return NOT_OWED if self.timeliness == Timeliness.NOT_OWED else MISSING

    @property
    def expected(self) -> bool:
        return self.timeliness not in (Timeliness.NOT_DUE, Timeliness.NOT_OWED)


@dataclass
class BranchRow:
    branch: RegionalBranch
    cells: list[Cell]
    has_coordinator: bool

    @property
    def owes(self) -> bool:
        return any(c.timeliness != Timeliness.NOT_OWED for c in self.cells)


@dataclass(frozen=True)
class Owing:
    """What the rate covers, for one agency: its branches (that the reader may see) that
    owe reports, and how many of them have no coordinator."""

    agency: Agency
    branches: int
    without_coordinator: int


def on_time_rate(on_time: int, expected: int) -> Decimal | None:
    """The share of reports due that came on time, in % to one place, rounded as every
    figure shown is (halves up: 1 of 16 is 6.3%, not Python's 6.2)."""
    return rounded(Decimal(100 * on_time) / expected, 1) if expected else None


@dataclass
class RegionBlock:
    kato: str
    name: str
    rows: list[BranchRow] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return sum(c.expected for r in self.rows for c in r.cells)

    @property
    def on_time(self) -> int:
        return sum(c.timeliness == Timeliness.ON_TIME for r in self.rows for c in r.cells)

    @property
    def rate(self) -> Decimal | None:
        return on_time_rate(self.on_time, self.expected)


@dataclass
class Grid:
    year: int
    columns: list[tuple[str, Period, str]]  # (kind, period, words)
    regions: list[RegionBlock]

    @property
    def expected(self) -> int:
        return sum(r.expected for r in self.regions)

    @property
    def on_time(self) -> int:
        return sum(r.on_time for r in self.regions)

    @property
    def rate(self) -> Decimal | None:
        return on_time_rate(self.on_time, self.expected)

    @property
    def owing(self) -> list[Owing]:
        rows = [row for block in self.regions for row in block.rows if row.owes]
        agencies = {row.branch.agency_id: row.branch.agency for row in rows}
        return [
            Owing(
                agency,
                sum(row.branch.agency_id == agency_id for row in rows),
                sum(row.branch.agency_id == agency_id and not row.has_coordinator for row in rows),
            )
            for agency_id, agency in sorted(agencies.items(), key=lambda item: item[1].code)
        ]


def _columns(year: int) -> list[tuple[str, Period]]:
    months = [(ReportKind.MONTHLY.value, Period.month(year, m)) for m in range(1, 13)]
    halves = [(ReportKind.HALF_YEARLY.value, Period.half_year(year, h)) for h in (1, 2)]
    return months + halves


def timeliness(due_date: datetime.date, first_submitted: datetime.datetime | None, today: datetime.date) -> str:
    if first_submitted is not None:
        return Timeliness.ON_TIME if timezone.localdate(first_submitted) <= due_date else Timeliness.LATE
    return Timeliness.NOT_IN if today > due_date else Timeliness.NOT_DUE


def reporting_grid(*, user: Any, year: int, today: datetime.date) -> Grid:
    """Every branch the caller may see that owes reports (its agency is on a reporting
    cycle) or handed one in that year x every reporting period of `year`. Five queries,
    whatever the number of branches and reports."""
    duty = reporting_duty()
    owing_agencies = set().union(*duty.values())
    coordinated = Membership.objects.active().filter(
        branch=OuterRef("pk"), role=MembershipRole.COORDINATOR, user__is_active=True
    )
    shown = Q(agency_id__in=owing_agencies, agency__is_active=True) | Q(
        pk__in=Report.objects.filter(period_start__year=year).values("branch_id")
    )
    branches = list(
        scoped_to_user(RegionalBranch.objects.filter(shown, is_active=True), user)
        .annotate(coordinated=Exists(coordinated))
        .select_related("agency", "region")
        .order_by("region__kato", "agency__code")
    )
    reports = {
        (r.branch_id, r.kind, r.period_start, r.period_end): r
        for r in Report.objects.filter(
            branch__in=branches, period_start__gte=datetime.date(year, 1, 1), period_end__lte=datetime.date(year, 12, 1)
        )
    }
    # The first time each report entered "submitted", from its history.
    first = dict(
        Report.history.filter(id__in=[r.pk for r in reports.values()], state=ReportState.SUBMITTED)
        .values("id")
        .annotate(first=Min("history_date"))
        .values_list("id", "first")
    )
    cycles = reporting_cycles()
    columns = _columns(year)
    blocks: dict[str, RegionBlock] = {}
    for branch in branches:
        block = blocks.setdefault(branch.region.kato, RegionBlock(branch.region.kato, str(branch.region)))
        owed_kinds = {kind for kind, agencies in duty.items() if branch.agency_id in agencies}
        cells = []
        for kind, period in columns:
            report = reports.get((branch.pk, kind, period.first_day, period.end.first_day))
            due = report.due_date if report is not None else due_date_for(kind, period, cycles)
            submitted = first.get(report.pk) if report is not None else None
            if submitted is None and report is not None and report.submitted_at is not None:
                submitted = report.submitted_at  # a report older than its history
            owed = timeliness(due, submitted, today) if kind in owed_kinds else Timeliness.NOT_OWED
            cells.append(Cell(kind, period, due, report, submitted, owed))
        block.rows.append(BranchRow(branch, cells, has_coordinator=bool(getattr(branch, "coordinated", False))))
    return Grid(year, [(k, p, span_in_words(p)) for k, p in columns], list(blocks.values()))


GRID_HEADER = [
    "kato", "name", "agency", "period", "kind", "state", "state_name", "due_date", "submitted_at", "timeliness",
    "has_coordinator",
]  # fmt: skip


def grid_table(grid: Grid) -> list[list[Any]]:
    return [
        [
            block.kato,
            block.name,
            row.branch.agency.code,
            str(cell.period),
            cell.kind,
            cell.state,
            cell.report.get_state_display() if cell.report is not None else str(_("missing")),
            cell.due_date.isoformat(),
            timezone.localtime(cell.first_submitted).isoformat() if cell.first_submitted else None,
            cell.timeliness,
            "yes" if row.has_coordinator else "no",
        ]
        for block in grid.regions
        for row in block.rows
        for cell in row.cells
    ]


@dataclass(frozen=True)
class Overdue:
    branch: RegionalBranch
    kind: str
    period: Period
    due_date: datetime.date
    report: Report | None


# How far back the office's home lists reports missing or late, and the coordinator's home
# the same reports (`initiatives.selectors.portal.due_reports`): due in the last 3 months.
OVERDUE_MONTHS = 3


def overdue_reports(*, user: Any, today: datetime.date, months: int = OVERDUE_MONTHS) -> list[Overdue]:
    """For the office's home: reports whose due date passed in the last `months` months
    and that nobody has submitted yet (missing or still a draft or returned)."""
    since = Month.from_date(today).plus(-months)
    out = []
    for year in sorted({since.year, today.year}):
        grid = reporting_grid(user=user, year=year, today=today)
        for block in grid.regions:
            for row in block.rows:
                for cell in row.cells:
                    if cell.timeliness == Timeliness.NOT_IN and cell.due_date >= since.first_day:
                        out.append(Overdue(row.branch, cell.kind, cell.period, cell.due_date, cell.report))
    return sorted(out, key=lambda o: (o.due_date, o.branch.region.kato, o.branch.agency.code))
