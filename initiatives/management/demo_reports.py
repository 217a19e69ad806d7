"""The demo coordinators' reports of the year, as a real office's look: most on time and
approved, one late (after a reopening), one returned, one waiting for review, one
missing. Written with their history at the moments they happened, so the reporting
grid reads them as it reads real ones. Used by `seed_demo` (`initiatives.demo`)."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from agencies.models import Membership, RegionalBranch

from ..models import Indicator, Report, ReportKind, ReportLine, ReportState, Value
from ..periods import Month, Period
from ..selectors.reports import due_date_for


def last_month() -> Month:
    """The last month that is over: the statistics of the month running are not in yet."""
    return Month.from_date(timezone.localdate()).plus(-1)


# What happened to the demo coordinators' reports, by region, for the months before last
# month (1 = the month before it); any other month of the year went in on time and was
# approved, as did the first half-year's action-plan report.
DEMO_REPORT_HISTORY = {
    "710000000": {3: "late", 2: "returned", 1: "waiting"},
    "750000000": {5: "late", 2: "missing", 1: "waiting"},
}


def _at(report: Report, when: datetime.datetime, **changes: object) -> Report:
    """Save a change as if made at `when`: its history record carries that moment."""
    for name, value in changes.items():
        setattr(report, name, value)
    report._history_date = when  # type: ignore[attr-defined]  # simple_history's hook
    report.save()
    return report


def _demo_report(
    branch: RegionalBranch, kind: str, period: Period, story: str, office: User | None, line_value: Decimal | None
) -> None:
    if story == "missing" or Report.objects.filter(branch=branch, kind=kind, period_start=period.first_day).exists():
        return
    due = due_date_for(kind, period)

    def on(day: datetime.date, hour: int = 10) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=datetime.UTC)

    report = Report(branch=branch, kind=kind, due_date=due, narrative="")
    report.period_start, report.period_end = period.first_day, period.end.first_day
    report = _at(report, on(period.end.plus(1).first_day, 9))
    if line_value is not None:
        ReportLine.objects.create(
            report=report, indicator=Indicator.objects.get(code="events.legal_literacy"), value=line_value
        )
    late = story == "late"
    if late:  # the office reopened it after the due date so it could still be handed in
        _at(report, on(due + datetime.timedelta(days=3), 9), reopened_until=on(due + datetime.timedelta(days=10)))
    submitted = on(due + datetime.timedelta(days=4 if late else -3))
    _at(report, submitted, state=ReportState.SUBMITTED, submitted_at=submitted)
    if story == "returned":
        _at(
            report,
            on(due + datetime.timedelta(days=1)),
            state=ReportState.RETURNED,
            return_reason="The number of events does not match the attached list; please check it.",
        )
    elif story != "waiting":
        approved = on(due + datetime.timedelta(days=6))
        _at(report, approved, state=ReportState.APPROVED, approved_at=approved, approved_by=office)


def demo_report_history(owner: User | None) -> None:
    """The demo coordinators' reports of this year before last month, told by
    DEMO_REPORT_HISTORY; written once (a report that exists is left as it is)."""
    last = last_month()
    first = Month(last.plus(-1).year, 1)
    events = Indicator.objects.get(code="events.legal_literacy")
    for membership in (
        Membership.objects.active().filter(user__username__startswith="coordinator.").select_related("branch__region")
    ):
        branch = membership.branch
        stories = DEMO_REPORT_HISTORY.get(branch.region.kato, {})
        lines = dict(
            Value.objects.filter(
                indicator=events, region=branch.region, period_start=models.F("period_end")
            ).values_list("period_start", "value")
        )
        for index in range(first.index, last.index):
            month = Month.from_index(index)
            period = Period(month, month)
            story = stories.get(last.index - index, "on_time")
            _demo_report(branch, ReportKind.MONTHLY, period, story, owner, lines.get(period.first_day))
        half = Period.half_year(first.year, 1)
        if half.end < last:
            _demo_report(branch, ReportKind.HALF_YEARLY, half, "on_time", owner, None)
