"""Detection runs on stored series: what they raise, update, withdraw and e-mail."""

import datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from agencies.models import Profile
from initiatives.alerts import jobs
from initiatives.alerts.models import Alert, AlertKind, DetectionRun, DetectionStatus, DetectionTrigger
from initiatives.alerts.services import alert_review
from initiatives.models import Indicator, OutboxMessage, Value
from initiatives.periods import Month
from regions.models import Region
from tests.factories import stored_forecast

from .conftest import LAST, T0

pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.django_db]


def _set(code: str, kato: str, month: Month, number: int) -> None:
    """A correction of one stored figure (and of its region's, which is the sum of its districts)."""
    with time_machine.travel(T0 - datetime.timedelta(hours=1), tick=False):
        _write(code, kato, month, number)


def _write(code: str, kato: str, month: Month, number: int) -> None:
    kpi = Indicator.objects.get(code=code)
    row = Value.objects.get(indicator=kpi, region__kato=kato, period_start=month.first_day, period_end=month.first_day)
    change = number - int(row.value)
    row.value = number
    row.save()
    region = Region.objects.get(kato=kato)
    if region.level == 2:
        parent = Value.objects.get(
            indicator=kpi, region=region.parent, period_start=month.first_day, period_end=month.first_day
        )
        parent.value += change
        parent.save()


def _run(month: Month = LAST, **asked) -> DetectionRun:  # type: ignore[no-untyped-def]
    with time_machine.travel(T0, tick=False):
        run = jobs.detection_request(period=month, trigger=DetectionTrigger.COMMAND, queue=False, **asked)
        return jobs.detection_job_run(run_id=run.pk)


def _alerts(**where) -> list[Alert]:  # type: ignore[no-untyped-def]
    return list(Alert.objects.filter(**where).select_related("indicator", "region"))


def test_a_tripled_district_month_is_flagged_that_month_with_its_usual_as_expected(series) -> None:  # type: ignore[no-untyped-def]
    theft = series["crime.theft"]["711000000"]
    usual = sum(theft[-13::-12][:3]) / 3  # the same month of the three years before
    _set("crime.theft", "711000000", LAST, round(3 * usual) + 10)
    run = _run()
    assert run.status == DetectionStatus.DONE
    flagged = _alerts(indicator__code="crime.theft", region__kato="711000000", kind=AlertKind.SINGLE)
    assert len(flagged) == 1
    alert = flagged[0]
    assert alert.period == LAST.first_day and alert.adverse == "rise" and alert.model == "glm"
    assert abs(float(alert.expected) - usual) <= 0.35 * usual
    assert float(alert.observed) > float(alert.upper) and alert.p_value <= run.single_level
    # The run records what it tested, skipped and the budget it flagged at.
    assert run.tested >= 2 * 24 and run.budget_series == run.tested  # everything eligible, every KPI asked
    assert run.single_level is not None
    assert run.single_level == pytest.approx(4 * 5 / (5 * run.budget_series))
    chart = alert.chart
    assert len(chart["months"]) == 24 and chart["months"][-1] == "2026-09"
    assert chart["observed"][-1] == float(alert.observed) and chart["upper"][-1] == float(alert.upper)
    # With N = 48 series the budget of 5 a month is a tail of 4 * 5 / (5 * 48): a few
    # false alarms are expected, not dozens.
    assert Alert.objects.exclude(pk=alert.pk).count() <= 12


def test_a_fall_is_flagged_where_higher_is_better_and_not_for_an_offence(series) -> None:  # type: ignore[no-untyped-def]
    _set("events.legal_literacy", "712000000", LAST, 0)
    _set("crime.theft", "712000000", LAST, 0)
    _run()
    literacy = _alerts(indicator__code="events.legal_literacy", region__kato="712000000")
    assert [(a.kind, a.adverse) for a in literacy] == [(AlertKind.SINGLE, "fall")]
    assert float(literacy[0].observed) < float(literacy[0].lower)
    assert _alerts(indicator__code="crime.theft", region__kato="712000000") == []


def test_a_correction_withdraws_the_alert_and_keeps_its_review(series, office) -> None:  # type: ignore[no-untyped-def]
    usual = sum(series["crime.theft"]["751000000"][-13::-12][:3]) / 3
    _set("crime.theft", "751000000", LAST, round(4 * usual) + 10)
    _run()
    (alert,) = _alerts(indicator__code="crime.theft", region__kato="751000000", kind=AlertKind.SINGLE)
    alert_review(alert=alert, user=office, note="Checked with the regional office: a data entry error.")
    # A later run with other figures updates it in place and keeps the review.
    _set("crime.theft", "751000000", LAST, round(5 * usual) + 10)
    _run()
    alert.refresh_from_db()
    assert alert.reviewed and alert.review_note.startswith("Checked") and not alert.withdrawn
    assert float(alert.observed) == round(5 * usual) + 10
    # The correction: the move is gone, the alert is withdrawn, never deleted.
    _set("crime.theft", "751000000", LAST, series["crime.theft"]["751000000"][-1])
    run = _run()
    alert.refresh_from_db()
    assert alert.withdrawn and alert.withdrawn_at is not None and alert.reviewed
    assert run.withdrawn >= 1
    notes = list(alert.history.order_by("history_id").values_list("review_note", flat=True))
    assert notes[0] == "" and notes[-1].startswith("Checked")
    reasons = list(alert.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[0].startswith("raised by detection run") and reasons[-1].startswith("withdrawn")


def test_two_months_running_above_the_persistence_threshold_raise_a_move_that_persists(series) -> None:  # type: ignore[no-untyped-def]
    counts = series["crime.theft"]["752000000"]
    _set("crime.theft", "752000000", LAST.plus(-1), round(2.2 * max(counts[-14], 1)) + 6)
    _set("crime.theft", "752000000", LAST, round(2.2 * max(counts[-13], 1)) + 6)
    run = _run()
    kinds = {a.kind: a for a in _alerts(indicator__code="crime.theft", region__kato="752000000")}
    assert AlertKind.PERSISTENT in kinds
    persistent = kinds[AlertKind.PERSISTENT]
    assert run.persistent_level is not None
    assert persistent.persists and persistent.p_value <= run.persistent_level


def test_where_a_forecast_run_was_made_from_the_month_before_its_one_step_ahead_forecast_is_expected(series) -> None:  # type: ignore[no-untyped-def]
    district = Region.objects.get(kato="711000000")
    theft = Indicator.objects.get(code="crime.theft")
    with time_machine.travel(T0 - datetime.timedelta(days=20), tick=False):
        forecast = stored_forecast(theft, origin="2026-08", regions=[district], monthly={district.pk: 12.0})
    _set("crime.theft", "711000000", LAST, 60)
    _run()
    (alert,) = _alerts(indicator__code="crime.theft", region__kato="711000000", kind=AlertKind.SINGLE)
    assert alert.model == "forecast" and alert.forecast_run_id == forecast.pk
    assert float(alert.expected) == 12.0


def test_the_digest_goes_once_per_import_and_person_in_their_language(  # type: ignore[no-untyped-def]
    series, office, coordinator_astana, coordinator_almaty
) -> None:
    from initiatives.models import ImportBatch, ImportStatus

    Profile.objects.update_or_create(user=office, defaults={"language": "en"})
    Profile.objects.update_or_create(user=coordinator_astana, defaults={"language": "kk"})
    Profile.objects.update_or_create(user=coordinator_almaty, defaults={"language": "ru"})
    batch = ImportBatch.objects.create(file_name="september.csv", status=ImportStatus.SUCCEEDED, uploaded_by=office)
    usual = sum(series["crime.theft"]["711000000"][-13::-12][:3]) / 3
    _set("crime.theft", "711000000", LAST, round(3 * usual) + 10)
    with time_machine.travel(T0, tick=False):
        for _ in range(2):  # a second delivery of the same import's detection writes nothing more
            run = jobs.detection_request(
                period=LAST, trigger=DetectionTrigger.IMPORT, import_batch=batch, notify=True, queue=False
            )
            jobs.detection_job_run(run_id=run.pk)
    mails = {m.recipient: m for m in OutboxMessage.objects.filter(key__startswith=f"alerts:import:{batch.pk}:")}
    assert set(mails) >= {office.email, coordinator_astana.email}
    assert "Early warning" in mails[office.email].subject
    astana = mails[coordinator_astana.email]
    assert "Early warning" not in astana.subject and "711000000" not in astana.body
    district = Region.objects.get(kato="711000000")
    assert district.name_kk in astana.body
    # Almaty's coordinator hears of Almaty's alerts only: none, or only Almaty's places.
    if coordinator_almaty.email in mails:
        assert district.name_ru not in mails[coordinator_almaty.email].body
    assert OutboxMessage.objects.filter(key=f"alerts:import:{batch.pk}:{office.pk}").count() == 1


def test_a_run_without_notify_or_alerts_writes_no_email(series, office) -> None:  # type: ignore[no-untyped-def]
    _run()
    assert not OutboxMessage.objects.filter(key__startswith="alerts:").exists()


def test_the_command_tests_a_month_and_says_what_it_found(series, capsys) -> None:  # type: ignore[no-untyped-def]
    _set("crime.theft", "711000000", LAST, 400)
    with time_machine.travel(T0, tick=False):
        call_command("detect_rises", "--period", "2026-09", "--kpi", "crime.theft")
    out = capsys.readouterr().out
    assert "series tested" in out and "crime.theft 711000000" in out
    run = DetectionRun.objects.get()
    assert run.kpis == ["crime.theft"] and run.trigger == "command"
    # N counts the series a national run tests (every KPI), the tested ones this run's.
    assert run.budget_series > run.tested
    with pytest.raises(CommandError, match=r"crime\.registered_per_10k"):
        call_command("detect_rises", "--period", "2026-09", "--kpi", "crime.registered_per_10k")
    with time_machine.travel(T0, tick=False), pytest.raises(CommandError, match="2026-10"):
        call_command("detect_rises", "--period", "2026-10")


def test_an_import_asks_for_detection_after_its_forecasts_and_a_dry_run_does_not(  # type: ignore[no-untyped-def]
    series, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from initiatives.forecasts import jobs as forecast_jobs
    from initiatives.statistics.services import statistics_import

    settings.ALERTS_AFTER_IMPORT = settings.FORECASTS_AFTER_IMPORT = True
    sent: list[tuple[object, ...]] = []

    def send(*args: object) -> bool:
        sent.append(args)
        return True

    monkeypatch.setattr(jobs, "send", send)
    monkeypatch.setattr(forecast_jobs, "send", send)
    path = tmp_path / "one.csv"
    path.write_text("region,period,indicator,value\n711000000,2026-09,crime.theft,555\n", encoding="utf-8")
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            statistics_import(source=path, dry_run=True)
        assert sent == []
        with django_capture_on_commit_callbacks(execute=True):
            result = statistics_import(source=path)
        assert result.batch is not None
        assert [s[0] for s in sent] == [
            "initiatives.tasks.forecast_after_import",
            "initiatives.tasks.detect_after_import",
        ]
        # The worker's task: a run per month written, and the month after where it is over.
        runs = jobs.detection_after_import(batch_id=result.batch.pk)
    assert [(r.period, r.trigger, r.notify) for r in runs] == [(LAST.first_day, "import", True)]


def test_the_months_of_an_import_are_those_it_wrote_and_the_month_after(series) -> None:  # type: ignore[no-untyped-def]
    from initiatives.models import ImportBatch

    batch = ImportBatch.objects.create(file_name="x.csv")
    Value.objects.filter(region__kato="711000000", period_start__in=[Month(2026, 3).first_day, LAST.first_day]).update(
        import_batch=batch
    )
    Value.objects.filter(region__kato="711000000", period_start=Month(2024, 1).first_day).update(import_batch=batch)
    months = jobs.import_months(batch, today=datetime.date(2026, 10, 20))
    assert months == [Month(2026, 3), Month(2026, 4), Month(2026, 9)]  # 2024-01 is too far back; 2026-10 not over


def test_a_run_costs_a_pinned_number_of_queries(series) -> None:  # type: ignore[no-untyped-def]
    """A few queries a KPI (its first month, its tree and the base its as-of book starts
    from, a checkpoint or today's rollups: `choose_base`; its forecast runs) and two an
    alert written (the row and its history): none a series."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        _run()
    assert len(queries.captured_queries) <= 74 + 2 * Alert.objects.count()
