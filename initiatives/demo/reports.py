"""The demo coordinators' reports of the year, as a real office's look: most on time and
approved, one late (after a reopening), one returned, one waiting for review, one
missing. Written with their history at the moments they happened, so the reporting
grid reads them as it reads real ones; and last month's, open to each demo coordinator.
Used by `seed_demo` (`initiatives.demo`)."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from agencies.models import Membership, RegionalBranch

from ..models import Indicator, Report, ReportKind, ReportLine, ReportState, Value
from ..periods import Month, Period
from ..selectors.reports import due_date_for
from ..services.reports import REOPEN_DAYS
from .statistics import last_month

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


def _open_demo_reports() -> None:
    """Last month's report for each demo coordinator, open for the demo even when its
    due date has passed (a reopening, as staff would grant; set once, kept after)."""
    last_month = Month.from_date(timezone.localdate()).plus(-1)
    period = Period(last_month, last_month)
    for membership in (
        Membership.objects.active().filter(user__username__startswith="coordinator.").select_related("branch")
    ):
        report, _created = Report.objects.get_or_create(
            branch=membership.branch,
            kind=ReportKind.MONTHLY,
            period_start=period.first_day,
            period_end=period.end.first_day,
            defaults={"due_date": due_date_for(ReportKind.MONTHLY, period)},
        )
        if report.due_date < timezone.localdate() and report.reopened_until is None:
            report.reopened_until = timezone.now() + datetime.timedelta(days=REOPEN_DAYS)
            report.save(update_fields=["reopened_until", "updated_at"])
