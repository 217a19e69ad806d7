"""The dashboard's strip: the latest detected month's alerts still standing in the reader's
regions, in words and in the reader's language, linking to them; never another reader's."""

import pytest
from django.test import Client

from tests.factories import AlertFactory, DetectionRunFactory, RegionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]


def strip(client: Client, language: str = "en") -> str | None:
    page = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    if 'id="alert-strip"' not in page:
        return None
    return page.split('id="alert-strip">')[1].split("</p>")[0]


def test_the_office_reads_the_latest_months_rises_and_falls_linking_to_them(client: Client, office, november) -> None:
    client.force_login(office)
    assert strip(client) == (
        '<a href="/dashboard/alerts/?period=2026-11">2 unexpected rises in November; 1 unexpected fall in November</a>'
    )


def test_the_month_is_the_latest_a_run_finished_not_one_under_way(client: Client, office, november) -> None:
    DetectionRunFactory(month="2026-12", status="running", finished_at=None)
    AlertFactory(month="2026-12")
    client.force_login(office)
    assert "?period=2026-11" in (strip(client) or "")


def test_a_coordinator_counts_their_own_regions_alerts_with_those_below_them(
    client: Client, coordinator_astana, november
) -> None:
    district = RegionFactory(kato="711110000", kind="city_district", name_en="Almaty District")
    AlertFactory(kato=district.kato)
    client.force_login(coordinator_astana)
    assert strip(client) == '<a href="/dashboard/alerts/?period=2026-11">2 unexpected rises in November</a>'


def test_nothing_is_shown_when_the_month_has_no_standing_alert(client: Client, coordinator_astana) -> None:
    DetectionRunFactory(month="2026-11")
    AlertFactory(withdrawn=True)
    AlertFactory(kato="750000000")
    AlertFactory(month="2026-10")
    client.force_login(coordinator_astana)
    assert strip(client) is None


def test_russian_and_kazakh_plurals_and_month_names(client: Client, office, november) -> None:
    for n in range(3):
        AlertFactory(kpi="crime.robbery", kato=["100000000", "110000000", "150000000"][n])
    client.force_login(office)
    assert "5 неожиданных ростов" in (strip(client, "ru") or "") and "ноябр" in (strip(client, "ru") or "")
    assert "1 неожиданное снижение" in (strip(client, "ru") or "")
    assert "қараша" in (strip(client, "kk") or "")


@pytest.mark.parametrize("first", ["astana", "almaty"])
def test_each_reader_gets_their_own_strip_in_their_language_whoever_came_first(
    client: Client, coordinator_astana, coordinator_almaty, november, first: str
) -> None:
    readers = [("astana", coordinator_astana, "ru"), ("almaty", coordinator_almaty, "en")]
    if first == "almaty":
        readers.reverse()
    seen = {}
    for name, person, language in readers * 2:  # each twice, after the other: the cache warm
        client.force_login(person)
        seen.setdefault(name, set()).add(strip(client, language))
    assert seen["astana"] == {'<a href="/dashboard/alerts/?period=2026-11">1 неожиданный рост за ноябрь</a>'}
    assert seen["almaty"] == {
        '<a href="/dashboard/alerts/?period=2026-11">1 unexpected rise in November; 1 unexpected fall in November</a>'
    }
