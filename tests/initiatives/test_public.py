"""The public page: the latest published release for everyone, in three languages, never
live data nor a pending or withdrawn release, cached whole, its queries fixed."""

import datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from initiatives.models import Indicator, Value
from initiatives.periods import Period
from initiatives.services.releases import release_confirm, release_publish, release_withdraw
from tests.factories import T0, IndicatorFactory

pytestmark = pytest.mark.django_db


def test_anyone_reads_the_latest_release_by_region_with_small_counts_as_below_the_threshold(release) -> None:
    page = Client().get("/public/", {"kpi": "crime.especially_grave"})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-kato="710000000"' in text and "&lt;5" in text and "<svg" in text
    assert "Q1" in text and 'id="csv-link"' in text
    assert "csrfmiddlewaretoken" not in text  # cached for everyone: nothing personal in it


@pytest.mark.parametrize(("lang", "words"), [("kk", "Жарияланған"), ("ru", "Опубликованные"), ("en", "Published")])
def test_the_public_page_speaks_kazakh_russian_and_english(release, lang: str, words: str) -> None:
    assert words in Client().get("/public/", {"lang": lang}).content.decode()


def test_the_public_page_shows_no_live_figure_no_pending_and_no_withdrawn_release(
    release, office, django_capture_on_commit_callbacks
) -> None:
    csv_before = Client().get("/public/", {"format": "csv"}).content
    row = Value.objects.filter(indicator__code="crime.registered", region__kato="710000000").first()
    assert row is not None
    row.value += 1000
    row.save()
    pending = release_publish(period=Period.parse("2026-01/2026-02"), user=office)
    cache.clear()
    assert Client().get("/public/", {"format": "csv"}).content == csv_before  # the release, not the live figure
    not_public = Client().get("/public/", {"period": pending.period}).content.decode()
    assert "No published release covers the period" in not_public and release.title in not_public
    assert "No release" not in Client().get("/public/").content.decode()  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        release_withdraw(release=release, user=office, reason="wrong figures")
    # The cached pages are stale at once: what the public may see changed.
    assert "No release has been published yet" in Client().get("/public/").content.decode()


def test_a_cached_public_page_costs_no_query(release, django_assert_num_queries) -> None:
    Client().get("/public/", {"kpi": "crime.theft"})
    with django_assert_num_queries(0):
        assert Client().get("/public/", {"kpi": "crime.theft"}).status_code == 200


def test_the_kept_page_never_hands_one_readers_other_parameters_to_the_next(release) -> None:
    first = Client().get("/public/", {"kpi": "crime.theft", "utm_source": "mail-to-anna"}).content.decode()
    second = Client().get("/public/", {"kpi": "crime.theft"})

    assert second["Cache-Control"] == "public, max-age=60"  # the page the first reader left
    assert "utm_source" not in first
    assert "mail-to-anna" not in second.content.decode()
    assert "kpi=crime.theft&amp;format=csv" in second.content.decode()


def test_the_public_pages_queries_do_not_grow_with_regions_or_kpis(
    release, office, second_office, assert_queries_do_not_grow
) -> None:
    def fetch() -> None:
        cache.clear()
        assert Client().get("/public/").status_code == 200

    def more() -> None:
        for _ in range(5):
            IndicatorFactory(aggregation_regions="sum", aggregation_time="sum")
        with time_machine.travel(T0 + datetime.timedelta(days=1), tick=True):
            made = release_publish(period=Period.parse("2026-Q1"), user=office)
            release_confirm(release=made, user=second_office)

    assert_queries_do_not_grow(fetch, more, budget=4)  # the release, its KPIs, the figures, the periods
    assert Indicator.objects.count() > 20


def test_a_withheld_count_shows_its_mark_on_the_map_not_no_complete_figure(release) -> None:
    from initiatives.charts import NO_DATA

    text = Client().get("/public/", {"kpi": "crime.especially_grave", "lang": "en"}).content.decode()
    table = text.split('id="figures"')[1].split("</table>")[0]
    hidden = [
        row.split('data-kato="')[1].split('"')[0]
        for row in table.split("<tr")[2:]
        if 'class="suppressed"' in row.split("</td>")[1]
    ]
    assert hidden, "the fixture has small counts"
    tilemap = text.split('class="chart tilemap"')[1].split("</svg>")[0]
    for kato in hidden:
        tile = tilemap.split(f'data-kato="{kato}"')[1].split("</g>")[0]
        assert ">&lt;5</text>" in tile or ">x</text>" in tile, tile
        assert NO_DATA not in tile and ">—</text>" not in tile
    assert "withheld to protect a small count" in tilemap


def test_the_period_menu_says_periods_in_words(release) -> None:
    text = Client().get("/public/", {"lang": "en"}).content.decode()
    menu = text.split('id="period"')[1].split("</select>")[0]
    assert '<option value="2026-Q1" selected>quarter 1 of 2026</option>' in menu


def test_the_annual_target_beside_a_quarters_value_names_its_year(release) -> None:
    text = Client().get("/public/", {"lang": "en"}).content.decode()
    assert "<th>Target for 2026</th>" in text


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_no_sentence_ends_on_two_full_stops_after_a_date(release, lang: str) -> None:
    note = Client().get("/public/", {"lang": lang}).content.decode().split('id="release-note"')[1].split("</p>")[0]
    assert ".." not in note, note


def test_a_count_of_villages_has_no_rate_per_10000_on_the_public_page(release) -> None:
    villages = Client().get("/public/", {"kpi": "settlements.alcohol_free", "lang": "en"}).content.decode()
    assert "Per 10,000 population" not in villages
    offences = Client().get("/public/", {"kpi": "crime.registered", "lang": "en"}).content.decode()
    assert "Per 10,000 population" in offences


def test_the_public_csv_has_the_status_in_words_beside_its_code(release) -> None:
    import csv
    import io

    text = Client().get("/public/", {"format": "csv", "lang": "kk"}).content.decode()
    header = text.splitlines()[0].split(",")
    assert header[header.index("status") + 1] == "status_name" and header[-1] == "suppressed"
    row = next(csv.DictReader(io.StringIO(text)))
    words = {
        "on_track": "кестеде",
        "at_risk": "қатерде",
        "off_track": "артта қалуда",
        "no_target": "нысаналы мән белгіленбеген",
    }
    assert row["status_name"] == words.get(row["status"], row["status_name"]) and row["status_name"] != row["status"]
