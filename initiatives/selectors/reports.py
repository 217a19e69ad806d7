"""Reading progress reports: who may see which, when each is due, and whether it is open."""

import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from agencies.access import is_project_office, region_is_visible
from agencies.tokens import is_agency_caller
from regions.models import Region

from ..models import Report, ReportingCycle, ReportLine, ReportState
from ..periods import Period

# Reports are due on this day of the month after their period (Decree No. 200 for the
# half-yearly action-plan reports; the office uses the same rule for monthly ones).
DUE_DAY = 15
EDITABLE = (ReportState.DRAFT, ReportState.RETURNED)


def reports_visible_to(user: Any) -> QuerySet[Report]:
    """Reports this caller may read (`ReportQuerySet.visible_to`), with their branch."""
    return Report.objects.visible_to(user).select_related("branch__agency", "branch__region")


def reports_to_review() -> QuerySet[Report]:
    """The office's queue: reports handed in and not yet approved or returned."""
    return Report.objects.submitted().select_related("branch__agency", "branch__region")


def reporting_cycles() -> dict[str, ReportingCycle]:
    """The cycles staff set, by kind of report: one query, for a page that dates many reports."""
    return {c.kind: c for c in ReportingCycle.objects.all()}


def reporting_duty() -> dict[str, frozenset[int]]:
    """Which agencies' branches owe each kind of report (the cycles' agencies, active ones
    only), by kind: one query. A branch owes a kind when it is active and its agency is here."""
    duty: dict[str, set[int]] = {}
    pairs = ReportingCycle.agencies.through.objects.filter(agency__is_active=True).values_list(
        "reportingcycle__kind", "agency_id"
    )
    for kind, agency_id in pairs:
        duty.setdefault(kind, set()).add(agency_id)
    return {kind: frozenset(ids) for kind, ids in duty.items()}


def due_date_for(kind: str, period: Period, cycles: dict[str, ReportingCycle] | None = None) -> datetime.date:
    """The due date under the reporting cycle staff set for this kind of report (by
    default the 15th of the month after the period, as Decree No. 200 sets it)."""
    cycle = (cycles if cycles is not None else reporting_cycles()).get(kind)
    day, months_after = (cycle.due_day, cycle.months_after) if cycle else (DUE_DAY, 1)
    following = period.end.plus(months_after)
    return datetime.date(following.year, following.month, day)


def closed_reason(report: Report, now: datetime.datetime | None = None) -> str | None:
    """Why the coordinator can no longer change this report, in words; None when open."""
    now = now or timezone.now()
    if report.state == ReportState.APPROVED:
        return _("This report was approved on %(date)s and is locked.") % {
            "date": date_format(timezone.localtime(report.approved_at).date(), "SHORT_DATE_FORMAT")
            if report.approved_at
            else ""
        }
    if report.state == ReportState.SUBMITTED:
        return _("This report was submitted and is waiting for the project office's review.")
    deadline_passed = timezone.localdate(now) > report.due_date
    reopened = report.reopened_at(now)
    if deadline_passed and not reopened:
        return _(
            "The due date, %(due)s, has passed, so the report is closed. "
            "The project office can reopen it for a limited time."
        ) % {"due": date_format(report.due_date, "SHORT_DATE_FORMAT")}
    return None


def may_report_for(user: Any, region: Region) -> bool:
    """May this caller write reports of `region`? The office, or people of the region;
    never an agency system (agencies read reports, people write them)."""
    if is_agency_caller(user):
        return False
    return is_project_office(user) or region_is_visible(user, region)


def report_editable_by(report: Report, user: Any) -> bool:
    """May this person still change the report? The one lock rule: only a draft or a
    returned report of a region they may report for, and past its due date only while
    the office has reopened it; the office may still correct a closed draft."""
    if not may_report_for(user, report.branch.region) or report.state not in EDITABLE:
        return False
    return is_project_office(user) or closed_reason(report) is None


def reopened_notice(report: Report, now: datetime.datetime | None = None) -> str | None:
    """Said on the page while a time-boxed reopening is what keeps the report open."""
    now = now or timezone.now()
    if report.state in EDITABLE and report.reopened_at(now) and timezone.localdate(now) > report.due_date:
        return _("The project office reopened this report until %(until)s.") % {
            "until": date_format(timezone.localtime(report.reopened_until), "SHORT_DATETIME_FORMAT")
        }
    return None


def values_at_last_return(report: Report) -> dict[int, Decimal]:
    """Each line's value when the report was last returned, to show the reviewer what changed."""
    # The moment of the return: the newest record where the state went from submitted to
    # returned (the coordinator's later saves keep the state "returned").
    states = list(report.history.order_by("-history_date").values_list("state", "history_date"))
    returned_at = next(
        (
            date
            for (state, date), (before, _d) in pairwise(states)
            if state == ReportState.RETURNED and before == ReportState.SUBMITTED
        ),
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
