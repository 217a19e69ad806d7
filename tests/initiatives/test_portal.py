"""The coordinator portal's pages without a browser: access, nothing lost, query budgets."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from agencies.models import RegionalBranch
from initiatives.models import Indicator, Report
from initiatives.periods import Period
from initiatives.services.reports import report_create, report_save

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def early_november():  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC), tick=True):
        yield


@pytest.fixture
def report(coordinator_astana) -> Report:  # type: ignore[no-untyped-def]
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    return report_create(branch=branch, kind="monthly", period=Period.parse("2026-10"), user=coordinator_astana)


def form_data(report: Report, events: str, version: int | None = None, action: str = "save") -> dict[str, str]:
    kpi = Indicator.objects.get(code="events.legal_literacy")
    return {
        "version": str(version or report.version),
        f"value_{kpi.pk}": events,
        "narrative": "typed by hand",
        "action": action,
    }


def test_anonymous_people_are_sent_to_log_in(client: Client, report: Report) -> None:
    for url in ("/", f"/reports/{report.pk}/", f"/review/{report.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_another_regions_coordinator_gets_not_found(client: Client, report: Report, coordinator_almaty) -> None:  # type: ignore[no-untyped-def]
    client.force_login(coordinator_almaty)
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    assert client.post(f"/reports/{report.pk}/", form_data(report, "5")).status_code == 404
    assert (
        client.post("/reports/start/", {"branch": report.branch.pk, "kind": "monthly", "period": "2026-09"}).status_code
        == 404
    )


def test_a_coordinator_cannot_open_the_review_page(client: Client, report: Report, coordinator_astana) -> None:  # type: ignore[no-untyped-def]
    client.force_login(coordinator_astana)
    assert client.get(f"/review/{report.pk}/").status_code == 404


def test_a_failed_form_keeps_every_value_typed(client: Client, report: Report, coordinator_astana) -> None:  # type: ignore[no-untyped-def]
    client.force_login(coordinator_astana)
    response = client.post(f"/reports/{report.pk}/", form_data(report, "-3"))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="-3"' in page and "typed by hand" in page
    assert not report.lines.exists()


def test_a_save_from_a_stale_tab_is_refused_and_the_input_kept(
    client: Client, report: Report, coordinator_astana
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(coordinator_astana)
    opened = report.version
    report_save(
        report=report, version=opened, values={Indicator.objects.get(code="events.legal_literacy"): (Decimal(7), "")},
        narrative="other tab", user=coordinator_astana,
    )  # fmt: skip
    response = client.post(f"/reports/{report.pk}/", form_data(report, "9", version=opened))
    page = response.content.decode()
    assert "Someone saved this report after you opened it" in page
    assert 'value="9"' in page and "typed by hand" in page
    report.refresh_from_db()
    assert report.narrative == "other tab"


def test_a_double_submit_is_one_submission(client: Client, report: Report, coordinator_astana) -> None:  # type: ignore[no-untyped-def]
    client.force_login(coordinator_astana)
    first = client.post(f"/reports/{report.pk}/", form_data(report, "5", action="submit"))
    assert first.status_code == 302
    second = client.post(f"/reports/{report.pk}/", form_data(report, "5", version=1, action="submit"))
    assert second.status_code in (200, 400)
    assert Report.objects.get().history.filter(state="submitted").count() == 1


@pytest.mark.parametrize("page", ["home", "report"])
def test_portal_pages_keep_a_fixed_query_budget(
    client: Client, report: Report, coordinator_astana, assert_queries_do_not_grow, page: str
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(coordinator_astana)
    url = "/" if page == "home" else f"/reports/{report.pk}/"

    def add_rows() -> None:
        for month in range(1, 10):
            report_create(
                branch=report.branch, kind="monthly", period=Period.parse(f"2026-0{month}"), user=coordinator_astana
            )

    assert_queries_do_not_grow(lambda: client.get(url), add_rows)


def test_the_office_sees_the_review_queue(client: Client, report: Report, coordinator_astana, office) -> None:  # type: ignore[no-untyped-def]
    client.force_login(coordinator_astana)
    client.post(f"/reports/{report.pk}/", form_data(report, "5", action="submit"))
    client.force_login(office)
    page = client.get("/").content.decode()
    assert f"/review/{report.pk}/" in page
