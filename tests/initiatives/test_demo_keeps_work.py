"""Loading the demo again fills what is missing and never changes what a person or an
import wrote (a coordinator's corrected figure approved by the office, an imported one)."""

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from initiatives.demo.statistics import last_month
from initiatives.models import Report, ReportState, Value, ValueSource
from initiatives.periods import Period
from initiatives.services.reports import report_approve, report_return, report_save, report_submit


@pytest.mark.django_db
def test_seed_demo_run_twice_keeps_a_persons_correction_and_an_import(tmp_path: Path) -> None:
    # Given the demo, loaded once
    call_command("seed_demo", "--password", "demo-pass-1", "--districts", "20", stdout=io.StringIO())
    office = User.objects.get(username="office")

    # and a person's correction: the report waiting for review is returned, its figure
    # corrected (by the office: its due date has passed), resubmitted and approved
    report = Report.objects.get(
        branch__region__kato="710000000", state=ReportState.SUBMITTED, lines__isnull=False, kind="monthly"
    )
    line = report.lines.select_related("indicator").get()
    corrected = line.value + 7
    report = report_return(report=report, reason="Count the school events too.", version=report.version, user=office)
    report = report_save(
        report=report,
        version=report.version,
        values={line.indicator: (corrected, "with the school events")},
        narrative="",
        user=office,
    )
    report = report_submit(report=report, version=report.version, user=office)
    report_approve(report=report, version=report.version, user=office)

    # and an import that replaces a demo figure
    month = last_month().plus(-2)
    imported = Value.objects.get(indicator__code="crime.theft", region__kato="750000000", **_span(Period(month, month)))
    official = imported.value + 111
    source = tmp_path / "form-1m.csv"
    source.write_text(f"region,period,indicator,value\n750000000,{month},crime.theft,{official}\n", encoding="utf-8")
    call_command("import_statistics", str(source), stdout=io.StringIO())

    # When the demo is loaded again
    out = io.StringIO()
    call_command("seed_demo", "--password", "demo-pass-1", "--districts", "20", stdout=out)

    # Then both stand, as the person and the import left them
    published = Value.objects.get(indicator=line.indicator, region=report.branch.region, **_span(report.period))
    assert (published.value, published.source, published.report_id) == (corrected, ValueSource.REPORT, report.pk)
    imported.refresh_from_db()
    assert (imported.value, imported.source) == (Decimal(official), ValueSource.IMPORT)
    assert imported.import_batch is not None
    assert "(0 KPI values written)" in out.getvalue()


def _span(period: Period) -> dict[str, object]:
    return {"period_start": period.first_day, "period_end": period.end.first_day}
