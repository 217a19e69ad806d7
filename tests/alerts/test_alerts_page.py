"""`/dashboard/alerts/`: each alert in words with its small chart, the filters, who sees
which alerts, the office's review (and nobody else's), pages of 50, and a query count
that does not grow with the alerts."""

import re

import pytest
from django.test import Client

from initiatives.alerts.models import Alert
from tests.factories import AlertFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

# The session, the user, the office check, the KPIs with alerts, the months, the regions,
# the count, the page.
# The alerts, the pickers, the session and the record above the list (the latest run, the year's counts).
PAGE_BUDGET = 10


def cards(page: str) -> dict[int, str]:
    return {
        int(pk): body for pk, body in re.findall(r'<article[^>]*data-alert="(\d+)"[^>]*>(.*?)</article>', page, re.S)
    }


def test_an_alert_says_what_moved_where_and_when_against_what_was_expected(client: Client, office, november) -> None:
    client.force_login(office)
    card = cards(client.get("/dashboard/alerts/").content.decode())[november["astana"].pk]
    assert 'Criminal offences registered — Astana, <span class="nowrap">November 2026</span>' in card
    assert "412 against 300 expected (upper 368)" in card
    assert '<span class="state rise">rise</span>' in card and "an unexpected month" in card
    assert "p = 0.0004" in card and "not reviewed" in card


def test_a_fall_names_its_lower_edge_and_a_persisting_move_says_so(client: Client, office, november) -> None:
    client.force_login(office)
    page = cards(client.get("/dashboard/alerts/").content.decode())
    assert "12 against 30 expected (lower 18)" in page[november["almaty_fall"].pk]
    assert '<span class="state fall">fall</span>' in page[november["almaty_fall"].pk]
    assert "a move that persists" in page[november["october"].pk]


def test_the_small_chart_draws_the_band_the_observed_line_and_marks_the_alerts_month(
    client: Client, office, november
) -> None:
    client.force_login(office)
    card = cards(client.get("/dashboard/alerts/").content.decode())[november["astana"].pk]
    svg = re.search(r"<svg class=\"chart alert-chart\".*?</svg>", card, re.S)
    assert svg is not None
    assert '<polygon class="band"' in svg[0] and 'class="observed"' in svg[0] and 'class="expected"' in svg[0]
    assert svg[0].count('class="observed"') == 2  # the month without a count breaks the line
    assert re.search(r'<circle class="marked" cx="310.0"[^>]*><title>November 2026: 412 against 300', svg[0])
    assert "2024-12" in svg[0] and "2026-11" in svg[0]
    assert "<script" not in card and "style=" not in card  # strict CSP: nothing inline


def test_an_old_alert_without_a_stored_series_has_no_chart(client: Client, office, november) -> None:
    Alert.objects.filter(pk=november["astana"].pk).update(chart={})
    client.force_login(office)
    card = cards(client.get("/dashboard/alerts/").content.decode())[november["astana"].pk]
    assert "412 against 300 expected" in card and "<svg" not in card


def test_withdrawn_alerts_are_left_out_unless_asked_for_then_greyed_and_labelled(
    client: Client, office, november
) -> None:
    client.force_login(office)
    withdrawn = november["astana_withdrawn"].pk
    assert withdrawn not in cards(client.get("/dashboard/alerts/").content.decode())
    page = client.get("/dashboard/alerts/?withdrawn=1").content.decode()
    assert withdrawn in cards(page)
    assert f'class="card alert-card withdrawn" id="alert-{withdrawn}"' in page
    assert "withdrawn: a later correction took the move away" in cards(page)[withdrawn]


def test_the_filters_narrow_by_month_kpi_and_region(client: Client, office, november) -> None:
    client.force_login(office)
    assert set(cards(client.get("/dashboard/alerts/?period=2026-10").content.decode())) == {november["october"].pk}
    assert set(cards(client.get("/dashboard/alerts/?kpi=crime.fraud").content.decode())) == {november["almaty"].pk}
    almaty = set(cards(client.get("/dashboard/alerts/?region=750000000").content.decode()))
    assert almaty == {november["almaty"].pk, november["almaty_fall"].pk}
    form = client.get("/dashboard/alerts/?period=2026-10").content.decode().split('id="alert-filters"')[1]
    assert '<option value="2026-10" selected>October 2026</option>' in form
    assert 'name="kpi"' in form and 'name="region"' in form


def test_a_filter_that_cannot_be_used_is_said_and_dropped(client: Client, office, november) -> None:
    client.force_login(office)
    response = client.get("/dashboard/alerts/?period=2026-13&kpi=crime.registered")
    assert response.status_code == 302 and response["Location"] == "/dashboard/alerts/?kpi=crime.registered"
    page = client.get(response["Location"]).content.decode()
    assert "That period could not be read; showing every month." in page
    response = client.get("/dashboard/alerts/?kpi=crime.nosuch", follow=True)
    assert "No KPI early warning tests has the code “crime.nosuch”; showing every KPI." in response.content.decode()


def test_a_coordinator_of_astana_sees_no_almaty_alert_even_when_asking_for_it(
    client: Client, coordinator_astana, november
) -> None:
    client.force_login(coordinator_astana)
    page = client.get("/dashboard/alerts/").content.decode()
    assert set(cards(page)) == {november["astana"].pk, november["october"].pk}
    assert "Almaty" not in page
    response = client.get("/dashboard/alerts/?region=750000000", follow=True)
    assert "No region among yours has the code “750000000”" in response.content.decode()
    assert set(cards(response.content.decode())) == {november["astana"].pk, november["october"].pk}


def test_a_coordinator_sees_the_review_state_but_no_form_and_a_post_is_refused(
    client: Client, coordinator_astana, office, november
) -> None:
    from initiatives.alerts.services import alert_review

    alert_review(alert=november["astana"], user=office, note="a new way of counting")
    client.force_login(coordinator_astana)
    page = client.get("/dashboard/alerts/").content.decode()
    assert "reviewed on" in cards(page)[november["astana"].pk]
    assert '<form method="post"' not in page.split("</header>")[1].replace('action="/i18n/setlang/"', "")
    assert "a new way of counting" not in page
    pk = november["october"].pk
    assert client.post(f"/dashboard/alerts/{pk}/review/", {"note": "mine", "action": "review"}).status_code == 403
    assert Alert.objects.get(pk=pk).reviewed_at is None


def test_the_office_marks_an_alert_reviewed_with_a_note_and_clears_it(client: Client, office, november) -> None:
    client.force_login(office)
    pk = november["astana"].pk
    response = client.post(
        f"/dashboard/alerts/{pk}/review/",
        {"note": "  Checked: a new way of counting  ", "action": "review", "next": "/dashboard/alerts/?period=2026-11"},
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/alerts/?period=2026-11"
    alert = Alert.objects.get(pk=pk)
    assert alert.reviewed_by == office and alert.review_note == "Checked: a new way of counting"
    page = client.get("/dashboard/alerts/?period=2026-11").content.decode()
    assert "The alert was marked reviewed." in page
    assert "Checked: a new way of counting" in cards(page)[pk] and "Clear review" in cards(page)[pk]
    client.post(f"/dashboard/alerts/{pk}/review/", {"action": "clear", "next": "https://evil.example/"})
    alert.refresh_from_db()
    assert alert.reviewed_at is None and alert.review_note == ""
    assert alert.history.count() == 3  # raised, reviewed, cleared: the note stays in the history


def test_nobody_without_a_region_opens_the_page_and_the_anonymous_are_sent_to_log_in(client: Client, november) -> None:
    assert client.get("/dashboard/alerts/").status_code == 302
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/dashboard/alerts/").status_code == 404


def test_alerts_come_fifty_a_page_newest_first(client: Client, office, november) -> None:
    from initiatives.models import Indicator

    kpis = list(Indicator.objects.exclude(code__in=["crime.registered"]).order_by("code")[:5])
    for month in range(1, 13):
        for kpi in kpis:
            AlertFactory(kpi=kpi.code, month=f"2025-{month:02d}", kato="750000000")
    client.force_login(office)
    first = client.get("/dashboard/alerts/").content.decode()
    assert len(cards(first)) == 50 and "page 1 of 2" in first and 'rel="next"' in first
    assert next(iter(cards(first))) in {november["astana"].pk, november["almaty"].pk, november["almaty_fall"].pk}
    second = client.get("/dashboard/alerts/?page=2").content.decode()
    assert len(cards(second)) == 5 * 12 + 4 - 50 and 'rel="prev"' in second


def test_the_page_is_in_the_readers_language(client: Client, office, november) -> None:
    client.force_login(office)
    client.cookies["django_language"] = "ru"
    page = client.get("/dashboard/alerts/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "412 при ожидаемых 300 (верхняя граница 368)" in page and "ноябрь 2026" in page and "рост" in page


def test_the_page_keeps_a_fixed_query_budget(client: Client, office, november, assert_queries_do_not_grow) -> None:
    client.force_login(office)

    def add_rows() -> None:
        for code in ("crime.robbery", "crime.brigandage"):
            for kato in ("710000000", "750000000"):
                AlertFactory(kpi=code, kato=kato, month="2026-09", withdrawn=kato == "750000000")

    assert_queries_do_not_grow(lambda: client.get("/dashboard/alerts/"), add_rows, budget=PAGE_BUDGET)


def test_the_page_says_how_alerts_are_made_and_how_they_fared_in_the_readers_regions(  # type: ignore[no-untyped-def]
    client: Client, office, coordinator_astana, november
) -> None:
    from initiatives.alerts.models import DetectionRun
    from initiatives.alerts.services import alert_review

    alert_review(alert=november["october"], user=office, note="Seen: a festival month.")
    DetectionRun.objects.filter(period__month=11).update(
        tested=120, skipped=30, budget_series=400, single_level=0.01, persistent_level=0.1118, detail={"budget": 5}
    )
    client.force_login(office)
    page = client.get("/dashboard/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    record = page.split('id="alert-record">')[1].split("</div>")[0]
    assert "tested 120 series and skipped 30" in record
    assert "budget is 5 false alarms a month over 400 series" in record
    assert "below 0.01" in record and "below 0.11 each" in record
    # Five alerts in the year, one withdrawn, October's reviewed.
    assert "5 alerts were raised here: 1 withdrawn after a correction, 1 reviewed by the office" in record
    # Each card says where its expected count came from.
    assert "last five years (trend, season, overdispersion)" in page
    # Astana's coordinator counts Astana's alerts only: three, one withdrawn.
    client.force_login(coordinator_astana)
    page = client.get("/dashboard/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 alerts were raised here: 1 withdrawn after a correction, 1 reviewed by the office" in page
