"""The admin reads as people speak: records named by their region, KPI and period; an
official figure read-only from the start; history in words and local time; the years
that have data; a mistyped address is not found."""

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from agencies.models import RegionalBranch
from initiatives.models import ApprovalState, Report, ReportKind, ReportLine, Target, ValueSource
from initiatives.periods import Period
from initiatives.services.reports import report_approve, report_create, report_save, report_submit
from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db


def test_a_value_is_named_by_region_kpi_and_period_not_by_internal_ids() -> None:
    value = ValueFactory(kpi="crime.theft", kato="710000000", period="2026-01", value=654)
    with translation.override("en"):
        assert str(value) == "Astana · Thefts (art. 188 of the Criminal Code) · 2026-01"


def test_targets_and_report_lines_are_named_without_internal_ids(coordinator_astana, astana) -> None:
    from initiatives.models import Indicator

    theft = Indicator.objects.get(code="crime.theft")
    with translation.override("en"):
        target = Target.objects.create(indicator=theft, region=astana, year=2026, target_value=Decimal("1200"))
        assert str(target) == "Astana · Thefts (art. 188 of the Criminal Code) · 2026"
        national = Target.objects.create(indicator=theft, region=None, year=2026, target_value=Decimal("9000"))
        assert str(national) == "Kazakhstan (national) · Thefts (art. 188 of the Criminal Code) · 2026"
        branch = RegionalBranch.objects.get(region=astana)
        report = Report.objects.create(
            branch=branch, kind=ReportKind.MONTHLY, period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 1, 1), due_date=datetime.date(2026, 2, 15),
        )  # fmt: skip
        line = ReportLine.objects.create(report=report, indicator=theft, value=Decimal("654.0000"))
        assert str(line) == "Thefts (art. 188 of the Criminal Code): 654"


def test_the_value_change_page_is_titled_as_people_name_the_value(staff: Client) -> None:
    value = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.MANUAL, approved=False)
    page = staff.get(f"/admin/initiatives/value/{value.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Astana · Thefts (art. 188 of the Criminal Code) · 2026-01" in page
    # The old name was "<kpi id>:<region id>:..."; a clock reading 18:18 is not it.
    assert not re.search(rf"(?<![\d:]){value.indicator_id}:{value.region_id}(?!\d)", page)
    assert 'value="654"' in page  # the number to edit, in the KPI's places


def test_an_official_imported_figure_is_read_only_from_the_start_and_says_how_to_correct_it(staff: Client) -> None:
    value = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.IMPORT)
    response = staff.get(f"/admin/initiatives/value/{value.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "legal-statistics import" in page  # its source, as it is
    assert "import a corrected file of legal statistics" in page
    assert 'name="_save"' not in page and 'name="value"' not in page  # nothing to edit, no Save
    assert f"/admin/initiatives/value/{value.pk}/delete/" not in page
    assert staff.post(f"/admin/initiatives/value/{value.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "654.0000" not in page

    # A post anyway changes nothing.
    staff.post(
        f"/admin/initiatives/value/{value.pk}/change/",
        {"indicator": value.indicator_id, "region": value.region_id, "period": "2026-01", "value": "1",
         "source": "manual", "comment": ""},
    )  # fmt: skip
    value.refresh_from_db()
    assert (value.value, value.source) == (Decimal(654), ValueSource.IMPORT)


def test_a_value_not_yet_approved_or_entered_by_hand_stays_editable(staff: Client) -> None:
    value = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.MANUAL, approved=False)
    page = staff.get(f"/admin/initiatives/value/{value.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="_save"' in page and "import a corrected file" not in page


def test_the_value_list_shows_counts_as_integers_and_shares_in_their_places(staff: Client) -> None:
    ValueFactory(kpi="crime.theft", period="2026-01", value=654)
    ValueFactory(kpi="cases.electronic_share", period="2026-01", value="12.5")
    page = staff.get("/admin/initiatives/value/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The cell also carries the version seen, for the approve action (a hidden input).
    cells = re.findall(r'<td class="field-value_seen">([^<]*)<input type="hidden" name="seen_\d+"', page)
    assert sorted(cells) == ["12.5", "654"]


def test_the_year_filter_offers_the_years_that_have_values(staff: Client) -> None:
    ValueFactory(kpi="crime.theft", period="2024-03", value=1)
    ValueFactory(kpi="crime.theft", period="2026-01", value=1)
    page = staff.get("/admin/initiatives/value/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    offered = re.findall(r'href="\?year=(\d{4})"', page)
    assert offered == ["2026", "2024"]


def test_a_mistyped_admin_history_address_is_not_found(staff: Client) -> None:
    from tests.factories import InitiativeFactory

    initiative = InitiativeFactory()
    assert staff.get(f"/admin/initiatives/initiative/{initiative.pk}/change/history/").status_code == 404
    assert staff.get(f"/admin/initiatives/initiative/{initiative.pk}/history/x/").status_code == 404
    assert staff.get(f"/admin/initiatives/initiative/{initiative.pk}/history/").status_code == 200


def test_the_report_history_says_who_when_and_what_changed_with_its_values(
    staff: Client, office, coordinator_astana, astana, settings
) -> None:
    from initiatives.models import Indicator

    settings.TIME_ZONE = "Asia/Almaty"
    kpi = Indicator.objects.get(code="events.legal_literacy")
    coordinator_astana.first_name, coordinator_astana.last_name = "Aigerim", "Sarsenova"
    coordinator_astana.save()
    branch = RegionalBranch.objects.get(region=astana)
    report = report_create(
        branch=branch, kind=ReportKind.MONTHLY, period=Period.parse("2026-01"), user=coordinator_astana
    )
    report.due_date = datetime.date(2099, 1, 1)
    report.save()
    report = report_save(report=report, version=report.version, values={kpi: (Decimal(210), "")}, narrative="",
                         user=coordinator_astana)  # fmt: skip
    report = report_save(report=report, version=report.version, values={kpi: (Decimal(23), "")}, narrative="",
                         user=coordinator_astana)  # fmt: skip
    report = report_submit(report=report, version=report.version, user=coordinator_astana)
    report_approve(report=report, user=office)

    page = staff.get(f"/admin/initiatives/report/{report.pk}/history/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&nbsp;", " ").replace("&rarr;", "→")
    assert "Aigerim Sarsenova" in text and "office" in text
    assert "Value: 210 → 23" in text  # the report's value changed, in the report's history
    assert "Legal literacy events held" in text
    assert "State: submitted → approved" in text
    for unreadable in ("None", "Deleted user", "pk=None", "Version", "0000"):
        assert unreadable not in text, unreadable
    # Local time (Asia/Almaty, UTC+5), not UTC.
    approved_at = Report.objects.get(pk=report.pk).approved_at
    local = approved_at.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    assert f"{local:%H:%M}" in text


def test_an_import_without_a_person_is_told_as_the_system(staff: Client) -> None:
    value = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.MANUAL, approved=False)
    value.value = Decimal(700)
    value.approval_state = ApprovalState.PENDING
    value.save()
    page = staff.get(f"/admin/initiatives/value/{value.pk}/history/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the system (an import or a scheduled job)" in page
    assert "Value: 654&nbsp;&rarr;&nbsp;700" in page
    assert "Changed by" not in page and ">None<" not in page


def test_history_pages_read_in_kazakh(staff: Client) -> None:
    value = ValueFactory(kpi="crime.theft", period="2026-01", value=654, source=ValueSource.MANUAL, approved=False)
    value.value = Decimal(700)
    value.save()
    staff.cookies["django_language"] = "kk"
    page = staff.get(f"/admin/initiatives/value/{value.pk}/history/").content.decode()
    assert "Не өзгерді" in page and "жүйе (импорт немесе жоспарлы тапсырма)" in page


def test_a_coordinator_may_not_read_admin_history(client: Client, coordinator_astana) -> None:
    value = ValueFactory(kpi="crime.theft", period="2026-01", value=654)
    client.force_login(coordinator_astana)
    response = client.get(f"/admin/initiatives/value/{value.pk}/history/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_target_list_shows_targets_in_their_kpis_places(staff: Client, astana) -> None:
    from initiatives.models import Indicator

    theft = Indicator.objects.get(code="crime.theft")
    Target.objects.create(indicator=theft, region=astana, year=2026, target_value=Decimal("1200"), baseline_value=None)
    page = staff.get("/admin/initiatives/target/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cells = re.findall(r'<td class="field-target_shown">([^<]*)</td>', page)
    assert [c.replace("\xa0", " ").replace(",", " ") for c in cells] == ["1 200"]
    assert "1200.0000" not in page
