"""The three KPIs come from the register, nobody types them: the summaries over any span
and region equal counts made by hand from the register's rows."""

import datetime
import random
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from agencies.models import Agency, RegionalBranch
from citizens.import_file import CheckedRow
from citizens.models import CitizenReport
from citizens.services import citizen_kpis_sync, citizen_reports_import
from initiatives.models import Indicator, IndicatorSource, Report, ReportLine, ReportState, Value, ValueSource
from initiatives.periods import Month
from initiatives.services.reports import report_approve
from regions.models import Region
from tests.factories import ValueFactory

from .conftest import iins

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

KPIS = ("citizen_reports.received", "citizen_reports.confirmed", "citizen_reports.rewarded")


def _register(seed: int) -> list[CitizenReport]:
    """About 150 reports in four regions' branches of two agencies, received from January
    2025 on, some decided (confirmed or not), some rewarded."""
    rng = random.Random(seed)
    regions = ["710000000", "750000000", "790000000", "110000000"]
    branches = [
        RegionalBranch.objects.get_or_create(agency=Agency.objects.get(code=code), region=Region.objects.get(kato=k))[0]
        for k in regions
        for code in ("gpo", "mvd")
    ]
    rows = []
    people = iins(150, seed=f"kpis-{seed}")
    for iin in people:
        received = datetime.date(2025, 1, 1) + datetime.timedelta(days=rng.randint(0, 690))
        report = CitizenReport(branch=rng.choice(branches), received_on=received, channel="online", offence="fraud")
        if rng.random() < 0.7:
            report.decided_on = min(received + datetime.timedelta(days=rng.randint(0, 60)), datetime.date(2026, 12, 2))
            report.status = rng.choice(["confirmed", "confirmed", "not_confirmed"])
            if report.status == "confirmed":
                report.decision_no = "1"
                if rng.random() < 0.6:
                    report.reward, report.awarded_on = "thanks", report.decided_on
        rows.append(CheckedRow(0, report, iin, "DEMO Person", ""))
    citizen_reports_import(rows=rows)
    return [r.report for r in rows]


def _by_hand(reports: list[CitizenReport], code: str, kato: str | None, first: Month, last: Month) -> int:
    def inside(day: datetime.date | None) -> bool:
        return day is not None and first.first_day <= day <= last.last_day

    here = [r for r in reports if kato is None or r.branch.region.kato == kato]
    if code == "citizen_reports.received":
        return sum(inside(r.received_on) for r in here)
    if code == "citizen_reports.confirmed":
        return sum(r.status == "confirmed" and inside(r.decided_on) for r in here)
    return sum(r.status == "confirmed" and r.reward != "none" and inside(r.decided_on) for r in here)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_summaries_equal_the_registers_counts_for_random_spans_and_regions(caller, seed):
    reports = _register(seed)
    client = caller("token_kpi")
    rng = random.Random(seed * 7)
    first_month = Month.from_date(min(r.received_on for r in reports))
    cases = [(code, kato) for code in KPIS for kato in (None, "710000000", "750000000", "790000000", "110000000")]
    for code, kato in cases:
        start = first_month.plus(rng.randint(0, 12))
        end = start.plus(rng.randint(0, Month(2026, 12).index - start.index))
        url = f"/api/v1/kpis/{code}/summary/?period_from={start}&period_to={end}" + (f"&region={kato}" if kato else "")
        body = client.get(url).json()
        if end == Month(2026, 12):  # the current month is not over: it has no value yet
            assert body["complete"] is False, (code, kato, str(start), str(end))
            assert {m["period"] for m in body["missing"]} == {"2026-12"}, body["missing"]
            end = Month(2026, 11)
            url = f"/api/v1/kpis/{code}/summary/?period_from={start}&period_to={end}" + (
                f"&region={kato}" if kato else ""
            )
            body = client.get(url).json()
        assert body["complete"] is True, (code, kato, str(start), str(end), body.get("missing"))
        assert Decimal(body["value"]) == _by_hand(reports, code, kato, start, end), (code, kato, str(start), str(end))


def test_a_decision_changes_the_figures_in_the_same_transaction(branch_astana, coordinator_astana):
    from citizens.services import citizen_report_decide, citizen_report_register

    report = citizen_report_register(
        branch=branch_astana,
        received_on=datetime.date(2026, 10, 5),
        channel="phone",
        offence="drugs",
        law_enforcement_staff=False,
        iin=iins(1)[0],
        full_name="DEMO Person",
        phone="",
        user=coordinator_astana,
    )

    def value(code: str, month: str) -> Decimal:
        start = datetime.date.fromisoformat(month + "-01")
        return Value.objects.get(indicator__code=code, region__kato="710000000", period_start=start).value

    assert (value("citizen_reports.received", "2026-10"), value("citizen_reports.confirmed", "2026-11")) == (1, 0)
    citizen_report_decide(
        report=report,
        status="confirmed",
        decided_on=datetime.date(2026, 11, 3),
        decision_no="7",
        user=coordinator_astana,
    )
    assert value("citizen_reports.confirmed", "2026-11") == 1
    assert value("citizen_reports.confirmed", "2026-10") == 0


def test_the_current_month_gets_its_values_only_when_it_is_over(caller, branch_astana):
    """On 2 December, December is still being counted: the register holds its reports, but
    the KPIs have values through November only, a span reaching December is incomplete and
    the year-end figure is an estimate, not "the actual figure"; the nightly task gives
    December its values once it is over, with no change to the register."""
    from citizens.tasks import sync_citizen_kpis
    from initiatives.models import Target

    days = [datetime.date(2026, 11, 3), datetime.date(2026, 11, 20), datetime.date(2026, 12, 1)]
    days += [datetime.date(2026, 12, 2)] * 2
    rows = []
    for day, iin in zip(days, iins(len(days), seed="current-month"), strict=True):
        report = CitizenReport(branch=branch_astana, received_on=day, channel="online", offence="fraud")
        rows.append(CheckedRow(0, report, iin, "DEMO Person", ""))
    citizen_reports_import(rows=rows)
    Target.objects.create(indicator=Indicator.objects.get(code="citizen_reports.received"), year=2026, target_value=10)
    assert CitizenReport.objects.filter(received_on__month=12).count() == 3  # stored at once

    def months() -> set[str]:
        starts = Value.objects.filter(indicator__code="citizen_reports.received", region__kato="710000000")
        return {d.strftime("%Y-%m") for d in starts.values_list("period_start", flat=True)}

    assert months() == {"2026-11"}
    client = caller("token_kpi")
    url = "/api/v1/kpis/citizen_reports.received/summary/?region=710000000&period_from={}&period_to={}"
    december = client.get(url.format("2026-12", "2026-12")).json()
    assert december["complete"] is False
    assert [m["period"] for m in december["missing"]] == ["2026-12"]
    november = client.get(url.format("2026-11", "2026-11")).json()
    assert (november["complete"], Decimal(november["value"])) == (True, 2)
    year = client.get(url.format("2026-01", "2026-12")).json()
    assert year["complete"] is False
    assert year["estimate"] is not None and year["estimate"]["is_estimate"] is True
    assert sync_citizen_kpis.apply().get() == 0  # still December: nothing new to write

    with time_machine.travel("2027-01-01 00:10 +0500", tick=False):
        assert sync_citizen_kpis.apply().get() > 0
        assert months() == {"2026-11", "2026-12"}
        december = client.get(url.format("2026-12", "2026-12")).json()
        assert (december["complete"], Decimal(december["value"])) == (True, 3)
        assert sync_citizen_kpis.apply().get() == 0  # a second run writes nothing


def test_the_kpis_are_recounted_every_night_on_the_housekeeping_queue(settings):
    from citizens.tasks import sync_citizen_kpis

    entry = settings.CELERY_BEAT_SCHEDULE["sync-citizen-kpis"]
    assert entry["task"] == sync_citizen_kpis.name == "citizens.tasks.sync_citizen_kpis"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {10}
    assert settings.CELERY_TIMEZONE == "Asia/Almaty"
    assert settings.CELERY_TASK_ROUTES[sync_citizen_kpis.name] == {"queue": "notices"}


def test_typed_values_of_a_register_kpi_are_replaced_by_the_registers_counts(branch_astana):
    ValueFactory(
        kpi="citizen_reports.rewarded", kato="710000000", period="2026-03", value=33, source=ValueSource.REPORT
    )
    _register(3)
    rows = Value.objects.filter(indicator__code="citizen_reports.rewarded")
    assert set(rows.values_list("source", flat=True)) == {ValueSource.COMPUTED}
    assert citizen_kpis_sync() == 0  # run again: nothing differs


def test_the_kpis_are_counted_from_the_register_in_the_catalogue():
    assert set(Indicator.objects.filter(code__in=KPIS).values_list("source", flat=True)) == {IndicatorSource.REGISTER}
    names = Indicator.objects.get(code="citizen_reports.received")
    assert names.name_kk and names.name_ru and names.name_en


def test_the_monthly_report_shows_the_registers_count_read_only_instead_of_asking_for_it(
    client, coordinator_astana, branch_astana
):
    _register(4)
    report = Report.objects.create(
        branch=branch_astana, kind="monthly", period_start="2026-03-01", period_end="2026-03-01", due_date="2026-04-15"
    )
    client.force_login(coordinator_astana)
    page = client.get(reverse("report", args=[report.pk])).content.decode()
    expected = Value.objects.get(
        indicator__code="citizen_reports.rewarded", region__kato="710000000", period_start="2026-03-01"
    ).value
    assert f'<output data-kpi="citizen_reports.rewarded">{expected:.0f}</output>' in page
    rewarded = Indicator.objects.get(code="citizen_reports.rewarded")
    assert f'name="value_{rewarded.pk}"' not in page and f"kpi_{rewarded.pk}" not in page


def test_approving_a_report_with_a_line_left_for_a_register_kpi_does_not_overwrite_the_count(office, branch_astana):
    _register(5)
    report = Report.objects.create(
        branch=branch_astana,
        kind="monthly",
        period_start="2026-03-01",
        period_end="2026-03-01",
        due_date="2026-04-15",
        state=ReportState.SUBMITTED,
    )
    ReportLine.objects.create(report=report, indicator=Indicator.objects.get(code="citizen_reports.rewarded"), value=99)
    before = Value.objects.get(
        indicator__code="citizen_reports.rewarded", region__kato="710000000", period_start="2026-03-01"
    )
    report_approve(report=report, user=office)
    after = Value.objects.get(pk=before.pk)
    assert (after.value, after.source) == (before.value, ValueSource.COMPUTED)


def test_legal_statistics_cannot_bring_a_figure_the_register_counts(tmp_path):
    from initiatives.statistics.services import StatisticsImportError, statistics_import

    file = tmp_path / "stats.csv"
    file.write_text("region,period,indicator,value\n710000000,2026-10,citizen_reports.received,35\n", encoding="utf-8")
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(source=file)
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, "indicator")]
    assert "citizen_reports.received is counted from a register" in refused.value.errors[0].message


@pytest.mark.parametrize("old", [datetime.date(1899, 12, 31), datetime.date(1900, 1, 1), datetime.date(2019, 12, 31)])
def test_the_kpis_are_never_written_for_months_before_the_register_began(branch_astana, coordinator_astana, old):
    """A report dated before the register's start (written before the rule, or by hand in
    the database) is not counted, and no month before the start gets a value."""
    report = CitizenReport.objects.create(
        branch=branch_astana, received_on=datetime.date(2026, 10, 5), channel="phone", offence="theft"
    )
    CitizenReport.objects.filter(pk=report.pk).update(received_on=old)
    CitizenReport.objects.create(
        branch=branch_astana, received_on=datetime.date(2026, 10, 5), channel="phone", offence="theft"
    )
    citizen_kpis_sync()
    values = Value.objects.filter(indicator__code__in=KPIS)
    # October and November 2026, the months from the first report in range through the last complete one.
    assert sorted({v.period_start for v in values}) == [datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)]
    assert values.count() == 3 * 2 * Region.objects.top_level().count()
    astana = values.get(
        indicator__code="citizen_reports.received", region__kato="710000000", period_start=datetime.date(2026, 10, 1)
    )
    assert astana.value == 1
