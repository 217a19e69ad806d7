"""The analytics dashboard: never blank on today's date, the API's figures, who may see
what, the files, the charts, and a query count that does not grow."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client

from regions.models import Region
from tests.conftest import count_queries
from tests.factories import ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

DASHBOARD_BUDGET = 34  # the key of the rendered figures (the counters, the moments beside them); one rollup book of the KPI shared with its summary, one of the offences, the latest release, the latest forecast run, the runs of the summary's year (its status), the alerts' strip
CACHED_BUDGET = 8  # the session, the user and their group, the KPIs; the key of the rendered figures (the version counters, the moments beside them), then the figures from the cache; the alerts' strip (the reader's own, never cached)
HEADER = "kato,name,value,previous,change_percent,rate_per_10k,target,status,status_name"
ABAI = "100000000"


def katos() -> list[str]:
    return list(Region.objects.top_level().order_by("kato").values_list("kato", flat=True))


@pytest.fixture
def through_october() -> None:
    """Every region's offences to October this year and last; population everywhere but Abai."""
    for n, kato in enumerate(katos()):
        ValueFactory(kpi="crime.registered", kato=kato, period="2026-01/2026-10", value=1000 + n)
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-01/2025-10", value=1100)
        if kato != ABAI:
            ValueFactory(kpi="population", kato=kato, period="2025", value=500_000)


def csv_rows(response) -> list[dict[str, str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_on_the_second_of_december_the_dashboard_opens_on_january_to_october(
    client: Client, office, through_october
) -> None:
    client.force_login(office)
    page = client.get("/dashboard/").content.decode()
    assert "January-October 2026: the latest span from January whose figure is complete." in page
    assert "Incomplete" not in page
    national = csv_rows(client.get("/dashboard/?format=csv"))[0]
    assert national["kato"] == "" and national["value"] == str(sum(1000 + n for n in range(20)))


def test_a_figure_missing_for_a_known_reason_is_named_and_does_not_hold_the_span_back(
    client: Client, office, through_october
) -> None:
    client.force_login(office)
    page = client.get("/dashboard/").content.decode()
    assert "Abai Region: no population for October 2026, so no rate per 10,000" in page
    assert ABAI not in page.split('id="headline"')[1].split("</section>")[0]  # names, not KATO codes


def test_an_incomplete_figure_says_which_region_and_month_in_the_readers_language(
    client: Client, office, through_october
) -> None:
    abai = Region.objects.get(kato=ABAI)
    for kato in katos():
        if kato != ABAI:
            ValueFactory(kpi="crime.theft", kato=kato, period="2026-01/2026-10", value=5)
    client.force_login(office)
    url = "/dashboard/?kpi=crime.theft&period=2026-01/2026-10"
    assert f"{abai.name_en}: no figure for January-October 2026 yet" in client.get(url).content.decode()
    client.cookies["django_language"] = "ru"
    assert f"{abai.name_ru}: нет данных за январь-октябрь 2026" in client.get(url).content.decode()


def test_the_dashboards_figures_equal_the_api_summary(client: Client, office, through_october) -> None:
    client.force_login(office)
    for region in ("", "&region=710000000"):
        rows = csv_rows(client.get(f"/dashboard/?kpi=crime.registered&period=2026-01/2026-10&format=csv{region}"))
        api = client.get(f"/api/v1/kpis/crime.registered/summary/?period_from=2026-01&period_to=2026-10{region}").json()
        assert rows[0]["value"] == api["value"] and rows[0]["previous"] == api["previous"]["value"]
        assert rows[0]["change_percent"] == (api["change_percent"] or "")
        by_kato = {b["region"]["kato"]: b for b in api["breakdown"]}
        assert {r["kato"] for r in rows[1:]} == set(by_kato)
        for row in rows[1:]:
            assert row["value"] == (by_kato[row["kato"]]["value"] or "")
            assert row["change_percent"] == (by_kato[row["kato"]]["change_percent"] or "")


def test_importing_a_statistics_file_changes_the_dashboard_at_once(client: Client, office, through_october) -> None:
    from initiatives.statistics.services import statistics_import

    client.force_login(office)
    before = csv_rows(client.get("/dashboard/?format=csv"))
    astana = next(r for r in before if r["kato"] == "710000000")
    statistics_import(
        source=io.BytesIO(b"region,period,indicator,value\n710000000,2026-01/2026-10,crime.registered,1\n"),
        filename="corrected.csv",
        user=office,
    )
    after = csv_rows(client.get("/dashboard/?format=csv"))
    assert next(r for r in after if r["kato"] == "710000000")["value"] == "1" != astana["value"]
    assert int(after[0]["value"]) == int(before[0]["value"]) - int(astana["value"]) + 1
    page = client.get("/dashboard/").content.decode()
    assert "Figures as of" in page and "Figures as of —" not in page  # the import's time, not a dash


def test_the_csv_has_the_columns_a_national_row_plain_numbers_and_blanks_where_incomplete(
    client: Client, office, through_october
) -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2026-11", value=12345)
    client.force_login(office)
    response = client.get("/dashboard/?period=2026-01/2026-11&format=csv")
    assert response.content.decode().splitlines()[0] == HEADER
    rows = csv_rows(response)
    assert rows[0]["kato"] == "" and rows[0]["value"] == "" and len(rows) == 21
    astana = next(r for r in rows if r["kato"] == "710000000")
    assert astana["value"] == str(1000 + katos().index("710000000") + 12345)  # no grouping
    assert next(r for r in rows if r["kato"] == "750000000")["value"] == ""


def test_the_table_downloads_as_xlsx_too(client: Client, office, through_october) -> None:
    from openpyxl import load_workbook

    client.force_login(office)
    response = client.get("/dashboard/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    # Names a person reads above the codes a program reads, on a sheet named for the KPI.
    assert rows[0][:3] == ("KATO code", "Name", "Value") and rows[0][-2:] == ("Status (code)", "Status")
    assert ",".join(rows[1]) == HEADER and len(rows) == 23 and rows[2][0] is None
    assert sheet.title == "crime.registered"
    astana = next(r for r in rows if r[0] == "710000000")
    assert astana[-2:] == ("no_target", "no target set")


def test_the_xlsx_headers_are_in_the_readers_language_the_csv_keeps_one_row_of_codes(
    client: Client, office, through_october
) -> None:
    from openpyxl import load_workbook

    client.force_login(office)
    client.cookies["django_language"] = "ru"
    rows = list(
        load_workbook(io.BytesIO(client.get("/dashboard/?format=xlsx").content)).active.iter_rows(values_only=True)
    )
    assert rows[0][2] == "Значение" and ",".join(rows[1]) == HEADER
    lines = client.get("/dashboard/?format=csv").content.decode().splitlines()
    assert lines[0] == HEADER and lines[1].startswith(",")  # the national row right under the codes
    national = csv_rows(client.get("/dashboard/?format=csv"))[0]
    assert (national["status"], national["status_name"]) == ("no_target", "целевое значение не задано")


def test_the_rate_per_10000_is_shown_for_offences_and_never_for_villages(
    client: Client, office, through_october
) -> None:
    client.force_login(office)
    assert "Per 10,000 population" in client.get("/dashboard/").content.decode()
    page = client.get("/dashboard/?kpi=settlements.alcohol_free").content.decode()
    assert "Per 10,000 population" not in page
    assert all(
        r["rate_per_10k"] == "" for r in csv_rows(client.get("/dashboard/?kpi=settlements.alcohol_free&format=csv"))
    )


def test_the_headline_labels_the_year_end_estimate_with_its_method(client: Client, office, through_october) -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025", value=1300)
    client.force_login(office)
    page = client.get("/dashboard/?region=710000000").content.decode()
    assert "Year-end estimate" in page and "the year to date scaled by 2025" in page


def test_the_tile_map_has_a_tile_per_region_with_its_number_and_a_legend(
    client: Client, office, through_october
) -> None:
    client.force_login(office)
    page = client.get("/dashboard/?measure=change").content.decode()
    tilemap = page.split('class="chart tilemap"')[1].split("</svg>")[0]
    assert sorted(set(tilemap.split('data-kato="')[i].split('"')[0] for i in range(1, 21))) == katos()
    assert "<title>Astana: −" in tilemap  # a fall, with its number beside the colour
    assert 'class="legend"' in tilemap


def test_what_moved_most_lists_the_offence_group_by_change_without_formulas(
    client: Client, office, through_october
) -> None:
    for kato in katos():
        ValueFactory(kpi="crime.theft", kato=kato, period="2026-01/2026-10", value=50)
        ValueFactory(kpi="crime.theft", kato=kato, period="2025-01/2025-10", value=100)
        ValueFactory(kpi="crime.fraud", kato=kato, period="2026-01/2026-10", value=110)
        ValueFactory(kpi="crime.fraud", kato=kato, period="2025-01/2025-10", value=100)
    client.force_login(office)
    page = client.get("/dashboard/").content.decode()
    moved = page.split('id="moved-title"')[1]
    order = [moved.index(f'data-kpi="{code}"') for code in ("crime.theft", "crime.registered", "crime.fraud")]
    assert order == sorted(order)
    # Pages write a fall with a true minus (U+2212), in the table as in the bars; files keep "-".
    assert "\u221250.0%" in moved and "+10.0%" in moved and "\u22121000" in moved.replace("\u00a0", "")
    assert "-50.0%" not in moved and "-1000" not in moved.replace("\u00a0", "")
    assert 'data-kpi="crime.registered_per_10k"' not in moved and 'data-kpi="settlements.alcohol_free"' not in moved


def test_a_coordinator_sees_their_own_region_and_not_another(
    client: Client, coordinator_astana, through_october
) -> None:
    client.force_login(coordinator_astana)
    assert client.get("/dashboard/?region=750000000").status_code == 404
    assert client.get("/dashboard/?region=750000000&format=csv").status_code == 404
    own = client.get("/dashboard/")
    assert own.status_code == 200 and "<h1>Astana</h1>" in own.content.decode()
    assert client.get("/dashboard/?region=710000000").status_code == 200


def test_the_office_sees_any_region_with_its_districts_as_the_breakdown(client: Client, office) -> None:
    client.force_login(office)
    response = client.get("/dashboard/?region=750000000")
    assert response.status_code == 200 and "Districts" in response.content.decode()


def test_the_pickers_are_a_bookmarkable_get_form(client: Client, office, through_october) -> None:
    client.force_login(office)
    page = client.get("/dashboard/?kpi=crime.registered&period=2025-Q3").content.decode()
    form = page.split('id="pickers"')[1].split("</form>")[0]
    assert '<form method="get" class="card pickers no-print" id="pickers">' in page
    for name in ('name="kpi"', 'name="period"', 'name="region"', 'name="measure"'):
        assert name in form
    assert '<option value="2025-Q3" selected>quarter 3 of 2025</option>' in form
    assert '<option value="2026-01/2026-10"' in form and '<option value="2023"' in form


def test_the_dashboard_keeps_a_fixed_query_budget(
    client: Client, office, through_october, assert_queries_do_not_grow
) -> None:
    from django.core.cache import cache

    client.force_login(office)

    def computed() -> None:  # not served from the summary cache
        cache.clear()
        client.get("/dashboard/")

    def add_rows() -> None:  # more KPIs with values, more values
        for code in ("crime.theft", "crime.fraud", "crime.robbery"):
            for kato in katos():
                ValueFactory(kpi=code, kato=kato, period="2026-01/2026-10", value=7)
                ValueFactory(kpi=code, kato=kato, period="2025-01/2025-10", value=9)

    assert_queries_do_not_grow(computed, add_rows, budget=DASHBOARD_BUDGET)
    client.get("/dashboard/")
    assert count_queries(lambda: client.get("/dashboard/")) == CACHED_BUDGET  # the next reader computes nothing


def test_the_coordinators_home_shows_the_latest_complete_span_not_incomplete(
    client: Client, coordinator_astana, through_october
) -> None:
    client.force_login(coordinator_astana)
    cards = client.get("/").content.decode().split("Your region's figures")[1]
    assert "January-October 2026" in cards
    assert "Criminal offences registered</strong> — Astana, January-October 2026:" in cards


def test_the_files_say_when_the_figures_are_as_of(client: Client, office, through_october) -> None:
    from openpyxl import load_workbook

    from initiatives.statistics.services import statistics_import

    statistics_import(
        source=io.BytesIO(b"region,period,indicator,value\n710000000,2026-10,crime.theft,3\n"), filename="a.csv"
    )
    client.force_login(office)
    response = client.get("/dashboard/?format=xlsx")
    assert "-as-of-2026-12-02-" in response["Content-Disposition"]
    about = load_workbook(io.BytesIO(response.content))["about"]
    assert about["A1"].value == "Figures as of" and about["B1"].value.date() == datetime.date(2026, 12, 2)
    assert "-as-of-2026-12-02-" in client.get("/dashboard/?format=csv")["Content-Disposition"]


REGION_BUDGET = 37  # the same, down to the districts


def test_a_region_dashboard_keeps_a_fixed_query_budget(
    client: Client, office, through_october, assert_queries_do_not_grow
) -> None:
    from django.core.cache import cache

    from tests.factories import RegionFactory

    client.force_login(office)
    almaty = Region.objects.get(kato="750000000")

    def district(n: int) -> None:
        place = RegionFactory(kato=f"7519{n}0000", kind="city_district", parent=almaty)
        ValueFactory(kpi="crime.registered", kato=place.kato, period="2026-01/2026-10", value=5)
        ValueFactory(kpi="crime.theft", kato=place.kato, period="2026-01/2026-10", value=2)

    district(1)

    def computed() -> None:
        cache.clear()
        client.get("/dashboard/?region=750000000")

    def add_rows() -> None:  # more districts of Almaty with figures
        for n in range(2, 6):
            district(n)

    assert_queries_do_not_grow(computed, add_rows, budget=REGION_BUDGET)


def test_a_formulas_national_trend_is_its_own_ratio_not_a_sum_of_the_regions(client: Client, office) -> None:
    from initiatives.charts import number
    from initiatives.engine.summary import kpi_summary
    from initiatives.models import Indicator
    from initiatives.periods import Period

    for n, kato in enumerate(katos()):
        ValueFactory(kpi="crime.registered", kato=kato, period="2026-10", value=100 + n)
        ValueFactory(kpi="population", kato=kato, period="2025", value=100_000 * (n + 1))
    client.force_login(office)
    page = client.get("/dashboard/?kpi=crime.registered_per_10k&period=2026-10").content.decode()
    trend = page.split('class="chart trend"')[1].split("</svg>")[0]
    kpi = Indicator.objects.get(code="crime.registered_per_10k")
    national = kpi_summary(indicator=kpi, region=None, span=Period.parse("2026-10")).own.value.value
    assert national is not None
    shown = number(national.quantize(Decimal(1).scaleb(-kpi.decimal_places)), kpi.decimal_places)
    assert f"2026: {shown}</title>" in trend


def test_after_a_change_the_worker_warms_the_span_the_dashboard_opens_on(through_october) -> None:
    """On 2 December with figures to October, the page opens on January-October: that is
    the summary the worker computes ahead of the first reader, not January-November."""
    from django.core.cache import cache

    from initiatives.engine.figure_state import FigureState
    from initiatives.models import Indicator
    from initiatives.periods import Period
    from initiatives.services.figures import rollups_refresh

    registered = Indicator.objects.get(code="crime.registered")
    cache.clear()
    rollups_refresh([registered.pk])
    state = FigureState.now()
    warmed = cache.get(state.summary_key(registered.pk, None, Period.parse("2026-01/2026-10"), True))
    assert warmed is not None and warmed.own.value.value == sum(1000 + n for n in range(20))
    assert cache.get(state.summary_key(registered.pk, None, Period.parse("2026-01/2026-11"), True)) is None


def test_the_change_column_is_a_noun_in_kazakh_and_russian_not_the_language_buttons_verb(
    client: Client, office, through_october
) -> None:
    client.force_login(office)
    client.cookies["django_language"] = "kk"
    page = client.get("/dashboard/").content.decode()
    assert "<th>Өзгеріс</th>" in page and "<th>Өзгерту</th>" not in page
    client.cookies["django_language"] = "ru"
    page = client.get("/dashboard/").content.decode()
    assert "<th>Изменение</th>" in page and "<th>Изменить</th>" not in page


def test_what_moved_mosts_bars_print_the_change_as_the_table_does(client: Client, office, through_october) -> None:
    for kato in katos():
        ValueFactory(kpi="crime.theft", kato=kato, period="2026-01/2026-10", value=935)
        ValueFactory(kpi="crime.theft", kato=kato, period="2025-01/2025-10", value=1000)
    client.force_login(office)
    for language, shown in (("kk", "\u22126,5%"), ("ru", "\u22126,5%"), ("en", "\u22126.5%")):
        client.cookies["django_language"] = language
        page = client.get("/dashboard/").content.decode()
        bars = page.split('id="moved-title"')[1].split('class="chart ranking wide"')[1].split("</svg>")[0]
        assert f">{shown}</text>" in bars, bars  # (935 - 1000) / 1000 = -6.5 %
        assert f"{shown}</title>" in bars


def test_the_kpi_column_header_starts_with_a_capital_in_kazakh_and_russian(
    client: Client, office, through_october
) -> None:
    client.force_login(office)
    for language, header in (("kk", "Негізгі көрсеткіш"), ("ru", "Ключевой показатель")):
        client.cookies["django_language"] = language
        page = client.get("/dashboard/").content.decode()
        assert f"<th>{header}</th>" in page
        assert f"<th>{header.lower()}</th>" not in page


@pytest.fixture
def almaty_districts(through_october) -> list[str]:
    """Two districts of the city of Almaty with offences; only the first knows its population,
    the city its own."""
    from tests.factories import RegionFactory

    almaty = Region.objects.get(kato="750000000")
    places = [RegionFactory(kato=f"7519{n}0000", kind="city_district", parent=almaty).kato for n in (1, 2)]
    for kato in places:
        ValueFactory(kpi="crime.registered", kato=kato, period="2026-01/2026-10", value=40)
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-01/2025-10", value=50)
    ValueFactory(kpi="population", kato=places[0], period="2025", value=200_000)
    return places


def test_a_regions_page_ranks_and_heads_its_districts_as_districts(client: Client, office, almaty_districts) -> None:
    client.force_login(office)
    page = client.get("/dashboard/?region=750000000").content.decode()
    assert '<h2 id="ranking-title">Districts ranked</h2>' in page and "Regions ranked" not in page
    table = page.split('id="table-title"')[1].split("</thead>")[0]
    assert "<th>District</th>" in table and "<th>Region</th>" not in table


def test_a_regions_page_shows_no_empty_ranking_card(client: Client, office, almaty_districts) -> None:
    """Coloured by the rate with no district's population known, there is nothing to rank:
    no card of bars, rather than an empty one."""
    from django.core.cache import cache

    from initiatives.models import Value

    Value.objects.filter(indicator__code="population", region__kato__startswith="7519").delete()
    cache.clear()  # a delete in bulk is no change the figures' version counters see
    client.force_login(office)
    page = client.get("/dashboard/?region=750000000&measure=rate").content.decode()
    assert 'id="ranking-title"' not in page and "Districts ranked" not in page and "Regions ranked" not in page


def test_a_districts_missing_population_is_no_warning_beside_the_regions_valid_rate(
    client: Client, office, almaty_districts
) -> None:
    client.force_login(office)
    page = client.get("/dashboard/?region=750000000").content.decode()
    headline = page.split('id="headline"')[1].split("</section>")[0]
    assert "Per 10,000 population" in headline and "no population" not in headline
    note = page.split('id="breakdown-rate-notes"')[1].split("</div>")[0]
    assert "no population for October 2026" in note  # said quietly where its dash is
