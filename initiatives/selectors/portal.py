"""What the coordinator portal shows: the reports due, and the figures around a report.

Who may read which report, and whether it is open, are shared with the API in
`initiatives.selectors.reports`."""

import datetime
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Q, QuerySet
from django.utils import translation

from agencies.access import branches_of
from agencies.models import Membership, MembershipRole, RegionalBranch

from ..engine.figure_state import ENGINE_VERSION, FigureState
from ..models import (
    Indicator,
    IndicatorSource,
    KpiRole,
    ReopenRequest,
    Report,
    ReportKind,
    ReportState,
    Target,
    Value,
)
from ..periods import Month, Period
from .dashboard import default_span
from .kpi_roles import kpis_of_role
from .reporting import OVERDUE_MONTHS
from .reports import closed_reason, due_date_for, reporting_cycles, reporting_duty
from .summary_cache import TIMEOUT_SECONDS, summary_cached
from .words import span_in_words


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
    reopen_asked: ReopenRequest | None = None  # the request to reopen it the office has yet to answer


def due_reports(user: Any, today: datetime.date, branches: Iterable[RegionalBranch] | None = None) -> list[DueReport]:
    """For each of the person's branches, every report they still owe or have to fix, with
    its due date and, when the due date has passed, why it is closed (the way forward is
    then to ask the office to reopen it): last month's and the last half-year's, even
    before they are due; every one the office counts as missing or late (due in the last
    `OVERDUE_MONTHS` months, as its home lists them, or of this year, as its reporting
    grid counts them, not handed in); and every returned report, however old. Only the
    kinds the branch's agency owes (the reporting cycles' duty), returned reports aside.
    Five queries, whatever the number of branches and reports (four given `branches`, the
    person's as `branches_of` reads them)."""
    this_month = Month.from_date(today)
    last_month = Period(this_month.plus(-1), this_month.plus(-1))
    half = 1 if last_month.end.month <= 6 else 2
    last_half = Period.half_year(last_month.end.year, half)
    if not last_half.is_over(today):  # the half-year is not over yet: the previous one
        last_half = last_half.shifted(-6)
    cycles = reporting_cycles()
    since = this_month.plus(-OVERDUE_MONTHS).first_day
    duty = reporting_duty()
    owed = {(ReportKind.MONTHLY.value, last_month), (ReportKind.HALF_YEARLY.value, last_half)}
    for year in range(since.year - 1, today.year + 1):
        periods = [(ReportKind.MONTHLY.value, Period.month(year, m)) for m in range(1, 13)]
        periods += [(ReportKind.HALF_YEARLY.value, Period.half_year(year, h)) for h in (1, 2)]
        owed |= {
            (k, p)
            for k, p in periods
            if (since <= due_date_for(k, p, cycles) or p.end.year == today.year) and due_date_for(k, p, cycles) < today
        }
    branches = list(branches_of(user) if branches is None else branches)
    starts = {p.first_day for _k, p in owed}
    existing = {
        (r.branch_id, r.kind, r.period_start): r
        for r in Report.objects.filter(branch__in=branches).filter(
            Q(period_start__in=starts) | Q(state=ReportState.RETURNED)
        )
    }
    asked = {
        r.report_id: r
        for r in ReopenRequest.objects.waiting().filter(report__in=list(existing.values())).order_by("created_at")
    }
    out = []
    for branch in branches:
        owes = {kind for kind, agencies in duty.items() if branch.agency_id in agencies}
        mine = {(k, p.first_day): (k, p) for k, p in owed if k in owes}
        mine.update(
            {
                (r.kind, r.period_start): (r.kind, r.period)
                for r in existing.values()
                if r.branch_id == branch.pk and r.state == ReportState.RETURNED
            }
        )
        items = []
        for kind, period in mine.values():
            report = existing.get((branch.pk, kind, period.first_day))
            if report is not None and report.state in (ReportState.SUBMITTED, ReportState.APPROVED):
                continue  # done on the coordinator's side
            # A report not started yet closes on the same rule as a started draft.
            pending = report or Report(branch=branch, kind=kind, due_date=due_date_for(kind, period, cycles))
            items.append(
                DueReport(
                    branch,
                    kind,
                    period,
                    report,
                    pending.due_date,
                    closed_reason(pending),
                    asked.get(report.pk) if report is not None else None,
                )
            )
        out += sorted(items, key=lambda d: (d.due_date, d.kind))
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
    values = (
        Value.objects.approved()
        .filter(
            indicator__in=kpis,
            region=region,
            period_start__in=[previous.first_day, year_before.first_day],
        )
        .values_list("indicator_id", "period_start", "period_end", "value")
    )
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


@dataclass(frozen=True)
class KpiCard:
    region: str
    kpi: Indicator
    period: str  # in words
    value: Any
    change_percent: Any
    complete: bool


def kpi_cards(
    user: Any,
    today: Month,
    *,
    branches: Iterable[RegionalBranch] | None = None,
    state: FigureState | None = None,
) -> list[KpiCard]:
    """For each of the person's regions, the KPI engine's figures over the latest span from
    January whose figure is complete (never "incomplete" for want of last month's figures)."""
    regions = {b.region_id: b.region for b in (branches_of(user) if branches is None else branches)}
    # The figures a coordinator sees first for their region: the catalogue's cards, in code order.
    indicators = list(kpis_of_role(KpiRole.CARD).select_related("numerator", "denominator"))
    cards = []
    state = state or FigureState.now()  # one read of the version counters for every card
    for region in regions.values():
        for indicator in indicators:
            span = default_span(indicator=indicator, region=region, today=today.first_day, state=state)
            s = summary_cached(indicator=indicator, region=region, span=span, state=state)
            cards.append(
                KpiCard(
                    str(region),
                    indicator,
                    span_in_words(span),
                    s.own.value.value,
                    s.own.change_percent,
                    s.own.value.complete,
                )
            )
    return cards


def _cards_code_version() -> str:
    """The code and words the rendered cards come from (these selectors, the span's words,
    the default span, the template, the translations, the engine): a deployment that
    changes any of them names the cards anew."""
    root = Path(__file__).resolve().parents[1]
    base = Path(settings.BASE_DIR)
    files = [
        root / "selectors" / "portal.py",
        root / "selectors" / "words.py",
        root / "selectors" / "dashboard.py",
        base / "templates" / "portal" / "home_cards.html",
        *(base / "locale" / language / "LC_MESSAGES" / "django.po" for language in ("kk", "ru")),
    ]
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    for path in files:
        digest.update(path.read_bytes() if path.exists() else path.name.encode())
    return digest.hexdigest()[:16]


CARDS_CODE_VERSION = _cards_code_version()


def home_cards_rendered(
    user: Any, today: datetime.date, branches: list[RegionalBranch], render: Callable[[list[KpiCard]], str]
) -> str:
    """The coordinator's KPI cards as `render` writes them, rendered once per figures
    version: kept in the cache under everything that changes them, i.e. the person's
    regions in their order, the language, today (the span a card opens on), every version
    counter of the figures, targets, regions and KPI catalogue (`FigureState`, one query)
    and the code that draws them. Who the person is beyond their regions is not in the key:
    the cards of a region are the same for everyone who coordinates it."""
    if not branches:
        return render([])
    state = FigureState.now()
    what = (
        CARDS_CODE_VERSION,
        [b.region_id for b in branches],
        translation.get_language(),
        today.isoformat(),
        sorted(state.versions.items()),
    )
    key = "home-cards:" + hashlib.sha256(repr(what).encode()).hexdigest()
    found = cache.get(key)  # a Redis that is down answers None (projectoffice/cache.py)
    if found is None:
        found = render(kpi_cards(user, Month.from_date(today), branches=branches, state=state))
        cache.set(key, found, timeout=TIMEOUT_SECONDS)
    return found  # type: ignore[no-any-return]


def is_branch_coordinator(user: Any, branch: RegionalBranch) -> bool:
    """Is this person a coordinator of the branch (who may ask to reopen its reports)?"""
    return Membership.objects.active().filter(user=user, branch=branch, role=MembershipRole.COORDINATOR).exists()


def reopen_request_waiting(report: Report) -> ReopenRequest | None:
    """The coordinator's request to reopen this report that the office has yet to answer."""
    return ReopenRequest.objects.waiting().filter(report=report).order_by("created_at").first()


def reopen_requests_waiting() -> QuerySet[ReopenRequest]:
    """Coordinators' requests to reopen a closed report, oldest first, for the office."""
    return (
        ReopenRequest.objects.waiting()
        .select_related("report__branch__agency", "report__branch__region", "requested_by")
        .order_by("created_at")
    )


@dataclass(frozen=True)
class RegisterFigure:
    kpi: Indicator
    value: Decimal | None  # None: the register has no count for every month of the period


def register_figures(report: Report) -> list[RegisterFigure]:
    """The flow KPIs counted from a register (the citizen register's), for the report's
    region and period: shown read-only beside the typed values, never asked for. Two
    queries whatever the number of KPIs."""
    kpis = list(
        Indicator.objects.active().filter(source=IndicatorSource.REGISTER, aggregation_time="sum").order_by("code")
    )
    period = report.period
    rows = (
        Value.objects.approved()
        .filter(
            indicator__in=kpis,
            region=report.branch.region,
            period_start__gte=period.first_day,
            period_start__lte=period.end.first_day,
        )
        .filter(period_start=F("period_end"))
        .values_list("indicator_id", "value")
    )
    sums: dict[int, Decimal] = {}
    months: dict[int, int] = {}
    for indicator_id, value in rows:
        sums[indicator_id] = sums.get(indicator_id, Decimal(0)) + value
        months[indicator_id] = months.get(indicator_id, 0) + 1
    return [RegisterFigure(k, sums[k.pk] if months.get(k.pk) == period.months else None) for k in kpis]
