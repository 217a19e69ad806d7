"""The forecast on the dashboard (the fan after the last actual month, the year-end with
its range and the probability of meeting the target, seasonal naive's year-end where the
forecast does worse) and the track record page, from runs stored as a run's job stores
them: who sees what, the cache's key, and query counts that do not grow."""

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.template.defaultfilters import floatformat
from django.test import Client
from django.utils import translation

from initiatives.models import Indicator, Target, Value
from initiatives.periods import Month, Period
from initiatives.selectors.words import month_name
from regions.models import Region
from tests.conftest import count_queries
from tests.factories import UserFactory, stored_forecast, value

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seventh_of_december")]

ASTANA = "710000000"
KPIS = ("crime.theft", "crime.fraud")


@pytest.fixture
def through_october() -> None:
    """Both KPIs by month in every region, January 2024 to October 2026: on 7 December the
    chart's last actual month is October (November is not in)."""
    rows = []
    for n, region in enumerate(Region.objects.filter(level=1).order_by("kato")):
        for index in range(Month(2025, 1).index, Month(2026, 10).index + 1):
            month = Month.from_index(index)
            for code in KPIS:
                rows.append(value(code, region, Period(month, month), 50 + n))
    Value.objects.bulk_create(rows)


def three_regions() -> list[Region]:
    """Astana and two more: the nation's forecast is their sum (the builder's rule)."""
    return list(Region.objects.filter(kato__in=[ASTANA, "750000000", "790000000"]).order_by("kato"))


def fan(page: str) -> dict[str, object]:
    """The fan as drawn: its run, its words, and each month's numbers from its data attributes."""
    chart = page.split('class="chart trend"')[1].split("</svg>")[0]
    found = re.search(r'<g class="fan" data-run="(\d+)"><title>([^<]*)</title>', chart)
    assert found, "no fan on the chart"
    points = re.findall(
        r'<circle class="forecast-point" cx="([\d.]+)"[^>]*data-value="([\d.]+)" data-lower-80="([\d.]+)" '
        r'data-upper-80="([\d.]+)" data-lower-95="([\d.]+)" data-upper-95="([\d.]+)"',
        chart,
    )
    return {"run": int(found[1]), "words": found[2], "points": points, "chart": chart}


def shown(number: int) -> str:
    """A figure as the page writes it: grouped by thousands in the reader's way."""
    return floatformat(Decimal(number), "0g")


def headline(page: str) -> str:
    found = page.split('id="forecast-headline"')[1].split("</div>")[0]
    return re.sub(r"[ \t\n]+", " ", found)  # keeping the figures' no-break spaces


def test_the_trend_continues_with_the_runs_fan_after_the_last_actual_month(
    client: Client, office, through_october
) -> None:
    theft = Indicator.objects.get(code="crime.theft")
    run = stored_forecast(theft, origin="2026-10", regions=three_regions())
    client.force_login(office)
    drawn = fan(client.get("/dashboard/", {"kpi": "crime.theft"}).content.decode())
    assert drawn["run"] == run.pk
    # November to October (horizons 1 to 12), the nation's 100+110+120 a month, ±10% and ±20%:
    # the chart goes on past December into the next year, every other month named.
    assert [p[1:] for p in drawn["points"]] == [("330.00", "297.00", "363.00", "264.00", "396.00")] * 12
    months_x = re.findall(r'<text x="([\d.]+)" y="[\d.]+" class="axis" text-anchor="middle">', str(drawn["chart"]))
    assert len(months_x) == 11  # 22 months, every other one named
    assert drawn["points"][0][0] == months_x[5]  # November 2026, the 11th month
    assert "Jan’27" in str(drawn["chart"])
    assert "80% range" in str(drawn["words"]) and "95% range" in str(drawn["words"])
    assert 'class="band-95"' in str(drawn["chart"]) and 'class="band-80"' in str(drawn["chart"])
    assert 'stroke-dasharray="2 3"' in str(drawn["chart"])  # the forecast reads without colour


def test_a_run_older_than_the_last_actual_month_is_drawn_only_after_it_and_says_so(
    client: Client, office, through_october
) -> None:
    theft = Indicator.objects.get(code="crime.theft")
    stored_forecast(theft, origin="2026-09", regions=three_regions())
    client.force_login(office)
    page = client.get("/dashboard/", {"kpi": "crime.theft"}).content.decode()
    assert len(fan(page)["points"]) == 11  # November onwards, not October over its actual
    assert 'id="fan-older"' in page and "to September 2026" in page
    fresh = stored_forecast(theft, origin="2026-10", regions=three_regions())
    page = client.get("/dashboard/", {"kpi": "crime.theft"}).content.decode()
    assert fan(page)["run"] == fresh.pk and 'id="fan-older"' not in page


def test_the_headline_shows_the_year_end_its_80_range_and_the_probability_of_meeting_the_target(
    client: Client, office, through_october
) -> None:
    theft = Indicator.objects.get(code="crime.theft")
    stored_forecast(theft, origin="2026-10", regions=three_regions())
    client.force_login(office)
    without = headline(client.get("/dashboard/", {"kpi": "crime.theft"}).content.decode())
    # 3 300 to October and 330 a month to December; ±10% of the months left.
    assert f"Forecast for 2026: <strong>{shown(3960)}</strong> (80% range: {shown(3894)}–{shown(4026)})" in without
    assert "probability" not in without  # no target, no probability
    Target.objects.create(indicator=theft, region=None, year=2026, target_value=Decimal(4000))
    page = client.get("/dashboard/", {"kpi": "crime.theft"}).content.decode()
    # Errors −1.0 … +1.0 times a scale of 66 around 3 960: 17 of 21 end at 4 000 or below.
    assert "probability of meeting the target: <strong>81%</strong>" in headline(page)
    assert 'href="/dashboard/forecasts/"' in headline(page)


def test_where_the_forecast_does_worse_than_seasonal_naive_the_headline_shows_the_same_months_last_year(
    client: Client, office, through_october
) -> None:
    theft = Indicator.objects.get(code="crime.theft")
    stored_forecast(theft, origin="2026-10", regions=three_regions(), relative_mae=1.2)
    Target.objects.create(indicator=theft, region=None, year=2026, target_value=Decimal(4000))
    client.force_login(office)
    said = headline(client.get("/dashboard/", {"kpi": "crime.theft"}).content.decode())
    assert f"Year-end 2026 from the same months last year: <strong>{shown(4039)}</strong>" in said  # 3 960 × 1.02
    assert "20% further from the actual than the same month last year" in said
    assert "Forecast for" not in said and "probability" not in said


def test_a_kpi_without_a_run_shows_no_fan_and_no_forecast_line(client: Client, office, through_october) -> None:
    client.force_login(office)
    page = client.get("/dashboard/", {"kpi": "crime.theft"}).content.decode()
    assert 'class="fan"' not in page and 'id="forecast-headline"' not in page
    assert 'id="forecasts-link"' in page  # the page of the track record is still linked


def test_a_coordinator_sees_their_regions_forecast(client: Client, coordinator_astana, through_october) -> None:
    theft = Indicator.objects.get(code="crime.theft")
    regions = three_regions()
    stored_forecast(theft, origin="2026-10", regions=regions, monthly={r.pk: 7.0 for r in regions})
    client.force_login(coordinator_astana)
    page = client.get("/dashboard/", {"kpi": "crime.theft"}).content.decode()
    assert [p[1] for p in fan(page)["points"]] == ["7.00"] * 12  # Astana's, not the nation's 21


# --- the cache: the KPI, the node, the run and the language ------------------------------


def dashboard_check(
    client: Client, *, kpi: str, kato: str | None, lang: str, run: Callable[[], object]
) -> Callable[[], None]:
    """Open the dashboard and compare its fan with the run's stored numbers for the node."""

    def check() -> None:
        from initiatives.forecasts.selectors import node_forecast

        query = {"kpi": kpi, "lang": lang}
        if kato:
            query["region"] = kato
        stored = run()
        page = client.get("/dashboard/", query).content.decode()
        drawn = fan(page)
        region = Region.objects.get(kato=kato) if kato else None
        expected = node_forecast(stored, region)
        assert drawn["run"] == stored.pk, (kpi, kato, lang)
        assert [p[1] for p in drawn["points"]] == [str(m.value) for m in expected.months], (kpi, kato, lang)
        with translation.override(lang):
            origin = month_name(Month(2026, 10))
        assert origin in str(drawn["words"]), (kpi, kato, lang)

    return check


@pytest.fixture
def runs(through_october) -> dict[str, object]:
    """A run of each KPI, every node its own numbers."""
    regions = three_regions()
    found = {}
    for k, code in enumerate(KPIS):
        kpi = Indicator.objects.get(code=code)
        found[code] = stored_forecast(
            kpi, regions=regions, monthly={r.pk: 10.0 * (k + 1) + n for n, r in enumerate(regions)}
        )
    return found


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"kpi": "crime.theft"}, {"kpi": "crime.fraud"}),
        ({"kato": None}, {"kato": ASTANA}),
        ({"lang": "kk"}, {"lang": "en"}),
    ],
    ids=["kpi", "node", "language"],
)
def test_the_dashboards_forecast_is_the_kpi_node_and_language_asked_for_whoever_came_first(
    client: Client, office, runs, first: dict, second: dict
) -> None:
    client.force_login(office)

    def page(**changes: object) -> Callable[[], None]:
        asked: dict = {"kpi": "crime.theft", "kato": None, "lang": "en", **changes}
        code = str(asked["kpi"])
        return dashboard_check(client, **asked, run=lambda: runs[code])

    for one, other in ((page(**first), page(**second)), (page(**second), page(**first))):
        cache.clear()
        one()
        other()


def test_a_new_run_is_shown_at_once_though_the_last_one_is_in_the_cache(client: Client, office, runs) -> None:
    client.force_login(office)
    theft = Indicator.objects.get(code="crime.theft")
    for kato in (None, ASTANA):
        dashboard_check(client, kpi="crime.theft", kato=kato, lang="en", run=lambda: runs["crime.theft"])()
    regions = three_regions()
    newer = stored_forecast(theft, regions=regions, monthly={r.pk: 500.0 + n for n, r in enumerate(regions)})
    for kato in (None, ASTANA):
        dashboard_check(client, kpi="crime.theft", kato=kato, lang="en", run=lambda: newer)()


# --- the track record page ---------------------------------------------------------------


def records(page: str) -> dict[str, str]:
    """Each KPI's section of the page, by code, its spaces made single."""
    found = {}
    for part in page.split('<section class="card forecast-record" data-kpi="')[1:]:
        code, _sep, rest = part.partition('"')
        found[code] = re.sub(r"\s+", " ", rest.split("</section>")[0])
    return found


def test_the_track_record_says_how_much_closer_than_the_same_month_last_year_and_how_often_ranges_held(
    client: Client, office
) -> None:
    stored_forecast(Indicator.objects.get(code="crime.theft"), relative_mae=0.82)
    stored_forecast(Indicator.objects.get(code="crime.fraud"), relative_mae=1.25)
    client.force_login(office)
    shown = records(client.get("/dashboard/forecasts/").content.decode())
    theft, fraud = shown["crime.theft"], shown["crime.fraud"]
    assert theft.count('class="level"') == 3  # the nation, regions, districts
    assert (
        "Over the last 12 months, forecasts one to three months ahead were 18% closer than “the same month last year”."
        " The 80% ranges held the actual 80% of the time." in theft
    )
    assert "The 95% ranges held it 100% of the time." in theft
    assert "were 25% further from the actual than “the same month last year”" in fraud
    assert 'class="overdue worse"' in fraud and 'class="overdue worse"' not in theft
    # The chart: relative error by months ahead, 1 to 12, with the line at 1.
    bars = re.findall(
        r'data-horizon="(\d+)" data-value="([\d.]+)"', theft.split('data-level="1"')[1].split('data-level="2"')[0]
    )
    assert [int(h) for h, _v in bars] == list(range(1, 13)) and {v for _h, v in bars} == {"0.82"}
    assert 'class="reference"' in theft


def test_a_kpi_without_a_run_says_how_forecasts_are_made_and_a_run_under_way_is_said(client: Client, office) -> None:
    from initiatives.models import ForecastRun, ForecastStatus, ForecastTrigger

    theft = Indicator.objects.get(code="crime.theft")
    fraud = Indicator.objects.get(code="crime.fraud")
    stored_forecast(fraud)
    for kpi in (theft, fraud):  # a first run of thefts, a second one of fraud
        ForecastRun.objects.create(
            indicator=kpi,
            status=ForecastStatus.RUNNING,
            origin=Month(2026, 11).first_day,
            as_of="2026-12-07T04:00Z",
            trigger=ForecastTrigger.COMMAND,
        )
    client.force_login(office)
    page = client.get("/dashboard/forecasts/").content.decode()
    waiting = page.split('id="not-yet"')[1].split("</section>")[0]
    assert "No forecast yet: the forecasts are computed by the worker" in waiting
    assert "python manage.py forecast" in waiting
    theft_item = waiting.split('data-kpi="crime.theft"')[1].split("</li>")[0]
    assert "a forecast run is under way" in theft_item
    robbery = waiting.split('data-kpi="crime.robbery"')[1].split("</li>")[0]
    assert "under way" not in robbery
    assert "crime.fraud" not in waiting
    assert "A forecast run is under way; this page shows the previous one" in records(page)["crime.fraud"]


def test_the_track_record_page_is_in_kazakh_and_russian(client: Client, office) -> None:
    stored_forecast(Indicator.objects.get(code="crime.theft"), relative_mae=0.82)
    client.force_login(office)
    for lang in ("kk", "ru"):
        page = client.get("/dashboard/forecasts/", {"lang": lang}).content.decode()
        with translation.override(lang):
            name = Indicator.objects.get(code="crime.theft").name
        theft = records(page)["crime.theft"]
        assert name in theft and "18" in theft and "80" in theft
        assert "Over the last" not in theft and "No forecast yet" not in page


def test_a_coordinator_reads_the_levels_of_their_tree_and_a_person_without_a_region_nothing(
    client: Client, coordinator_astana
) -> None:
    stored_forecast(Indicator.objects.get(code="crime.theft"))
    client.force_login(coordinator_astana)
    theft = records(client.get("/dashboard/forecasts/").content.decode())["crime.theft"]
    assert re.findall(r'data-level="(\d)"', theft) == ["1", "2"]  # regions and districts, not the nation
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/dashboard/forecasts/").status_code == 404
    assert client.get("/dashboard/").status_code == 404
    client.logout()
    assert client.get("/dashboard/forecasts/").status_code == 302  # to the log-in


FORECASTS_BUDGET = 6  # the session, the user, the office check, the KPIs with their latest runs, the runs, the scores
DASHBOARD_BUDGET = 38  # the dashboard's own (with the alerts' strip and the two of the rendered figures' key), the latest run, the node's months and year-end, the track record, the target, the summary's run


def test_the_track_record_page_keeps_a_fixed_query_budget(client: Client, office, assert_queries_do_not_grow) -> None:
    client.force_login(office)
    stored_forecast(Indicator.objects.get(code="crime.theft"))

    def add_rows() -> None:  # more forecast KPIs with runs, and a second run of one
        for code in ("crime.fraud", "crime.robbery"):
            stored_forecast(Indicator.objects.get(code=code))
        stored_forecast(Indicator.objects.get(code="crime.theft"), origin="2026-11")

    assert_queries_do_not_grow(lambda: client.get("/dashboard/forecasts/"), add_rows, budget=FORECASTS_BUDGET)


def test_the_dashboards_forecast_costs_a_fixed_number_of_queries_and_one_when_cached(
    client: Client, office, through_october, assert_queries_do_not_grow
) -> None:
    client.force_login(office)
    theft = Indicator.objects.get(code="crime.theft")
    stored_forecast(theft, regions=three_regions())

    def computed() -> None:
        cache.clear()
        client.get("/dashboard/", {"kpi": "crime.theft"})

    def add_rows() -> None:  # a run with more nodes, and a target
        stored_forecast(theft, regions=list(Region.objects.filter(level=1)))
        Target.objects.create(indicator=theft, region=None, year=2026, target_value=Decimal(4000))

    assert_queries_do_not_grow(computed, add_rows, budget=DASHBOARD_BUDGET)
    for code in ("crime.theft", "crime.fraud"):  # both in the cache
        client.get("/dashboard/", {"kpi": code})
    without = count_queries(lambda: client.get("/dashboard/", {"kpi": "crime.fraud"}))  # no run: the same one query
    assert count_queries(lambda: client.get("/dashboard/", {"kpi": "crime.theft"})) == without
