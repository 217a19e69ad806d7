"""An unfinished month never counts as complete: on 7 December 2026 December is not over,
so no entry point imports, enters, templates, reports on or releases it, and each says so
in the reader's language. One rule decides it: `Period.is_over(today)`."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from agencies.models import RegionalBranch
from initiatives.models import ImportBatch, Indicator, Release, Report, Value
from initiatives.periods import Period, PeriodNotOver
from initiatives.services.releases import ReleaseError, release_confirm, release_publish
from initiatives.services.values import value_set
from initiatives.statistics.services import StatisticsImportError, statistics_import
from regions.models import Region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seventh_of_december")]

# 09:00 in Astana on 7 December 2026.
SEVENTH_OF_DECEMBER = datetime.datetime(2026, 12, 7, 4, 0, tzinfo=datetime.UTC)
NOT_OVER = {
    "en": "2026-12 has not ended yet",
    "ru": "период 2026-12 ещё не завершён",
    "kk": "2026-12 кезеңі әлі аяқталған жоқ",
}


# --- the rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "over"),
    [
        ("2026-11", True),
        ("2026-01/2026-11", True),
        ("2026-Q3", True),
        ("2026-H1", True),
        ("2025", True),
        ("2026-12", False),
        ("2026-01/2026-12", False),
        ("2026-Q4", False),
        ("2026-H2", False),
        ("2026", False),
        ("2027-02", False),
    ],
)
def test_on_the_seventh_of_december_november_is_over_and_december_is_not(period: str, over: bool) -> None:
    assert Period.parse(period).is_over(datetime.date(2026, 12, 7)) is over


def test_a_month_is_over_from_the_first_day_of_the_next_not_on_its_last_day() -> None:
    december = Period.parse("2026-12")
    assert not december.is_over(datetime.date(2026, 12, 31))
    assert december.is_over(datetime.date(2027, 1, 1))


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_the_refusal_is_in_the_readers_language(language: str) -> None:
    with translation.override(language), pytest.raises(PeriodNotOver) as refused:
        Period.parse("2026-12").check_over(datetime.date(2026, 12, 7))
    assert str(refused.value) == NOT_OVER[language]


# --- the statistics import: the file checker, the command, the API ----------------------


def statistics(*rows: str) -> io.BytesIO:
    return io.BytesIO(("region,period,indicator,value\n" + "\n".join(rows) + "\n").encode())


@pytest.mark.parametrize("period", ["2026-12", "2026-Q4", "2026-01/2026-12", "2026", "2027-02"])
def test_the_import_refuses_a_period_that_is_not_over(period: str) -> None:
    with pytest.raises(StatisticsImportError) as refused:
        statistics_import(source=statistics(f"710000000,{period},crime.registered,10"))
    assert [(e.line, e.column, e.code) for e in refused.value.errors] == [(2, "period", "period_not_ended")]
    assert f"{Period.parse(period)} has not ended yet" in refused.value.errors[0].message
    assert not Value.objects.exists()


def test_the_import_takes_november_on_the_seventh_of_december() -> None:
    result = statistics_import(source=statistics("710000000,2026-11,crime.registered,10"))
    assert result.created == 1


def test_the_import_takes_december_once_new_year_has_come_in_astana() -> None:
    """The site's day, not UTC's: 00:10 on 1 January in Astana is still 31 December in UTC."""
    with time_machine.travel(datetime.datetime(2026, 12, 31, 19, 10, tzinfo=datetime.UTC)):
        assert statistics_import(source=statistics("710000000,2026-12,crime.registered,10")).created == 1


def test_the_import_command_refuses_december(tmp_path: Path) -> None:
    path = tmp_path / "december.csv"
    path.write_bytes(statistics("710000000,2026-12,crime.registered,10").getvalue())
    stderr = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_statistics", str(path), stderr=stderr)
    assert "december.csv: line 2, period: 2026-12 has not ended yet" in stderr.getvalue()
    assert not Value.objects.exists()


def test_the_api_import_refuses_december_and_says_so_in_russian(
    caller, in_process_tasks, django_capture_on_commit_callbacks
) -> None:
    upload = statistics("710000000,2026-12,crime.registered,10")
    upload.name = "december.csv"
    client = caller("token_import")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202
    body = client.get(f"/api/v1/imports/{ImportBatch.objects.get().pk}/", {"lang": "ru"}).json()
    assert body["status"] == "failed"
    assert [(e["column"], e["code"], e["message"]) for e in body["errors"]] == [
        ("period", "period_not_ended", NOT_OVER["ru"])
    ]
    assert not Value.objects.exists()


# --- the admin's "Add KPI value", and the service every other write goes through ---------


def add_value(staff: Client, period: str, language: str = "en"):  # type: ignore[no-untyped-def]
    return staff.post(
        f"/admin/initiatives/value/add/?lang={language}",
        {
            "indicator": Indicator.objects.get(code="crime.registered").pk,
            "region": Region.objects.get(kato="710000000").pk,
            "period": period,
            "value": "12",
            "source": "manual",
            "comment": "",
        },
    )


@pytest.mark.parametrize("period", ["2026-12", "2027-02", "2026-Q4"])
def test_the_admin_does_not_add_a_value_for_a_period_that_is_not_over(staff: Client, period: str) -> None:
    response = add_value(staff, period)
    assert response.status_code == 200
    assert f"{Period.parse(period)} has not ended yet" in response.content.decode()
    assert not Value.objects.exists()


def test_the_admin_says_so_in_kazakh(staff: Client) -> None:
    assert NOT_OVER["kk"] in add_value(staff, "2026-12", language="kk").content.decode()


def test_the_admin_adds_novembers_value(staff: Client) -> None:
    assert add_value(staff, "2026-11").status_code == 302
    assert str(Value.objects.get().period) == "2026-11"


def test_the_value_service_refuses_december(office) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="2026-12 has not ended yet"):
        value_set(
            indicator=Indicator.objects.get(code="crime.registered"),
            region=Region.objects.get(kato="710000000"),
            period=Period.parse("2026-12"),
            value=Decimal(12),
            source="manual",
            user=office,
        )
    assert not Value.objects.exists()


# --- the pre-filled statistics template: the command and the admin page -----------------


def test_the_template_command_refuses_december_and_writes_november(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="2026-12 has not ended yet"):
        call_command("statistics_template", "--region", "710000000", "--period", "2026-12", "--out", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    call_command(
        "statistics_template",
        "--region",
        "710000000",
        "--period",
        "2026-11",
        "--out",
        tmp_path / "n.xlsx",
        stdout=io.StringIO(),
    )
    assert (tmp_path / "n.xlsx").stat().st_size > 0


def test_the_template_page_refuses_december_in_russian(staff: Client) -> None:
    astana = Region.objects.get(kato="710000000")
    url = "/admin/initiatives/importbatch/template/"
    refused = staff.get(url, {"region": astana.pk, "period": "2026-12", "lang": "ru"})
    assert refused.status_code == 200 and NOT_OVER["ru"] in refused.content.decode()
    taken = staff.get(url, {"region": astana.pk, "period": "2026-11"})
    assert taken["Content-Type"].startswith("application/vnd.openxmlformats")


# --- releases: publishing and confirming, by the service, the command and the admin -----


def test_a_release_of_december_is_not_published_on_the_seventh_of_december(office) -> None:
    with pytest.raises(ReleaseError, match="2026-12 has not ended yet"):
        release_publish(period=Period.parse("2026-12"), user=office)
    with pytest.raises(ReleaseError, match="2026-Q4 has not ended yet"):
        release_publish(period=Period.parse("2026-Q4"), user=office)
    assert not Release.objects.exists()
    assert release_publish(period=Period.parse("2026-11"), user=office).period == "2026-11"


def test_the_publish_command_refuses_december(office) -> None:
    with pytest.raises(CommandError, match="2026-12 has not ended yet"):
        call_command("publish_release", "2026-12", "--by", "office")
    assert not Release.objects.exists()


def test_the_admin_does_not_publish_december_and_says_why_in_russian(staff: Client) -> None:
    response = staff.post("/admin/initiatives/release/add/?lang=ru", {"period": "2026-12", "title": ""})
    assert response.status_code == 200 and NOT_OVER["ru"] in response.content.decode()
    assert not Release.objects.exists()


def december_awaiting_confirmation(office) -> Release:  # type: ignore[no-untyped-def]
    """A release of December left waiting from before the rule: nothing confirms it either."""
    december = Period.parse("2026-12")
    return Release.objects.create(
        title_en="December",
        period=str(december),
        period_start=december.first_day,
        period_end=december.end.first_day,
        moment=SEVENTH_OF_DECEMBER,
        published_by=office,
    )


def test_a_release_of_december_is_not_confirmed_on_the_seventh_of_december(office, second_office) -> None:
    release = december_awaiting_confirmation(office)
    with pytest.raises(ReleaseError, match="2026-12 has not ended yet"):
        release_confirm(release=release, user=second_office)
    release.refresh_from_db()
    assert release.state == "pending"
    page = Client().get("/public/", {"period": "2026-12"}).content.decode()
    assert "No published release covers the period “2026-12”" in page


def test_the_admin_does_not_confirm_december_and_says_why(office, second_office) -> None:
    release = december_awaiting_confirmation(office)
    second = Client()
    second.force_login(second_office)
    second.cookies["django_language"] = "kk"  # the change list takes no `?lang=`: it would be a filter
    response = second.post(
        "/admin/initiatives/release/", {"action": "confirm", "_selected_action": [release.pk]}, follow=True
    )
    assert NOT_OVER["kk"] in response.content.decode()
    release.refresh_from_db()
    assert release.state == "pending"


# --- reports: a coordinator reports on a month once it is over --------------------------


def test_a_coordinator_cannot_start_a_report_on_december_yet(client: Client, coordinator_astana) -> None:
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    client.force_login(coordinator_astana)
    refused = client.post(
        "/reports/start/?lang=ru", {"branch": branch.pk, "kind": "monthly", "period": "2026-12"}, follow=True
    )
    assert NOT_OVER["ru"] in refused.content.decode()
    assert not Report.objects.exists()
    started = client.post("/reports/start/", {"branch": branch.pk, "kind": "monthly", "period": "2026-11"})
    assert started.status_code == 302 and Report.objects.get().period == Period.parse("2026-11")


# --- what the pages offer --------------------------------------------------------------


def test_the_dashboards_period_picker_offers_no_span_that_is_not_over() -> None:
    from initiatives.selectors.dashboard import period_choices

    offered = {value for _group, options in period_choices(datetime.date(2026, 12, 7)) for value, _w in options}
    assert {"2026-11", "2026-Q3", "2026-H1", "2026-01/2026-11"} <= offered
    assert not {"2026-12", "2026-Q4", "2026-H2", "2026-01/2026-12"} & offered
