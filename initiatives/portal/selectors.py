"""What the coordinator portal shows: reports within reach, and the figures around a report."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db.models import QuerySet

from agencies.access import is_project_office, scoped_to_user
from agencies.models import Membership, RegionalBranch

from ..engine.summary import kpi_summary
from ..models import (
    ApprovalState,
    Indicator,
    IndicatorSource,
    Report,
    ReportKind,
    ReportLine,
    ReportState,
    Target,
    Value,
)
from ..periods import Month, Period
from ..services.reports import closed_reason, due_date_for, reporting_cycles


def reports_for(user: Any) -> QuerySet[Report]:
    """Reports this person may open: the office all, a coordinator their region's."""
    reports = Report.objects.select_related("branch__agency", "branch__region")
    return scoped_to_user(reports, user, field="branch__region")


def branches_of(user: Any) -> list[RegionalBranch]:
    if is_project_office(user):
        return []
    return [
        m.branch
        for m in Membership.objects.active().filter(user=user).select_related("branch__agency", "branch__region")
    ]


def reported_kpis() -> QuerySet[Indicator]:
    """The KPIs coordinators report (the others come from statistics or formulas)."""
    return Indicator.objects.active().filter(source=IndicatorSource.COORDINATOR_REPORTS).order_by("code")


@dataclass(frozen=True)
class DueReport:
    branch: RegionalBranch
    kind: str
    period: Period
    report: Report | None
    due_date: Any
    closed: str | None  # why it can no longer be written, when it cannot


def due_reports(user: Any, today: datetime.date) -> list[DueReport]:
    """For each of the person's branches: last month's report and the last half-year's,
    unless already handed in, with the due date and, when it has passed, why it is closed."""
    this_month = Month.from_date(today)
    last_month = Period(this_month.plus(-1), this_month.plus(-1))
    half = 1 if last_month.end.month <= 6 else 2
    last_half = Period.half_year(last_month.end.year, half)
    if last_half.end >= this_month:  # the half-year is not over yet: the previous one
        last_half = last_half.shifted(-6)
    branches = branches_of(user)
    existing = {
        (r.branch_id, r.kind, r.period_start): r
        for r in Report.objects.filter(
            branch__in=branches, period_start__in=[last_month.first_day, last_half.first_day]
        )
    }
    cycles = reporting_cycles()
    out = []
    for branch in branches:
        for kind, period in ((ReportKind.MONTHLY, last_month), (ReportKind.HALF_YEARLY, last_half)):
            report = existing.get((branch.pk, kind, period.first_day))
            if report is not None and report.state in (ReportState.SUBMITTED, ReportState.APPROVED):
                continue  # done on the coordinator's side
            # A report not started yet closes on the same rule as a started draft.
            pending = report or Report(branch=branch, kind=kind, due_date=due_date_for(kind, period, cycles))
            out.append(DueReport(branch, kind, period, report, pending.due_date, closed_reason(pending)))
    return out


@dataclass(frozen=True)
class KpiContext:
    previous: Decimal | None
    year_before: Decimal | None
    target: Decimal | None


def kpi_context(report: Report, kpis: list[Indicator]) -> dict[int, KpiContext]:
    """Beside each KPI of the form: last period's value, the same period a year before,
    and the year's target. Three queries whatever the number of KPIs."""
    period = report.period
    previous = period.shifted(-period.months)
    year_before = period.year_before()
    region = report.branch.region
    values = Value.objects.filter(
        indicator__in=kpis,
        region=region,
        approval_state=ApprovalState.APPROVED,
        period_start__in=[previous.first_day, year_before.first_day],
    ).values_list("indicator_id", "period_start", "period_end", "value")
    found = {(i, s, e): v for i, s, e, v in values}
    targets = dict(
        Target.objects.filter(indicator__in=kpis, region=region, year=period.end.year).values_list(
            "indicator_id", "target_value"
        )
    )
    return {
        k.pk: KpiContext(
            found.get((k.pk, previous.first_day, previous.end.first_day)),
            found.get((k.pk, year_before.first_day, year_before.end.first_day)),
            targets.get(k.pk),
        )
        for k in kpis
    }


def review_queue() -> QuerySet[Report]:
    return Report.objects.filter(state=ReportState.SUBMITTED).select_related("branch__agency", "branch__region")


# The figures a coordinator sees first for their region.
CARD_KPIS = ("crime.registered", "settlements.alcohol_free")


@dataclass(frozen=True)
class KpiCard:
    region: str
    kpi: Indicator
    period: Period
    value: Any
    change_percent: Any
    complete: bool


def kpi_cards(user: Any, today: Month) -> list[KpiCard]:
    """This year to last month, for each of the person's regions: the KPI engine's figures."""
    if today.month == 1:
        span = Period.year(today.year - 1)
    else:
        span = Period(Month(today.year, 1), today.plus(-1))
    regions = {b.region_id: b.region for b in branches_of(user)}
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=CARD_KPIS)}
    cards = []
    for region in regions.values():
        for code in CARD_KPIS:
            if code in indicators:
                s = kpi_summary(indicator=indicators[code], region=region, span=span)
                cards.append(
                    KpiCard(
                        str(region),
                        indicators[code],
                        span,
                        s.own.value.value,
                        s.own.change_percent,
                        s.own.value.complete,
                    )
                )
    return cards


def values_at_last_return(report: Report) -> dict[int, Decimal]:
    """Each line's value when the report was last returned, to show the reviewer what changed."""
    # The moment of the return: the newest record where the state went from submitted to
    # returned (the coordinator's later saves keep the state "returned").
    states = list(report.history.order_by("-history_date").values_list("state", "history_date"))
    returned_at = next(
        (date for (state, date), (before, _d) in pairwise(states) if state == "returned" and before == "submitted"),
        None,
    )
    if returned_at is None:
        return {}
    earlier = (
        ReportLine.history.filter(report_id=report.pk, history_date__lte=returned_at)
        .order_by("id", "-history_date")
        .values_list("id", "value")
    )
    out: dict[int, Decimal] = {}
    for line_id, value in earlier:
        out.setdefault(line_id, value)
    return out
