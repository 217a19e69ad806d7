"""What is kept in the cache is kept under everything that changes it (STYLE.md): the KPI,
the region, the span, the language, the caller's scope and the figures' version. Each
cached thing is opened for two of each, in either order from an empty cache, and what is
drawn is compared with the values it was drawn from: the first reader never decides what
the second one sees."""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from initiatives import charts
from initiatives.models import Value
from initiatives.periods import Month, Period
from regions.models import Region
from tests.factories import RegionFactory
from tests.initiatives.test_rollup_tables import value

pytestmark = pytest.mark.django_db

ASTANA, ALMATY = "710000000", "750000000"
KPIS = ("crime.registered", "crime.hooliganism")
MONTHS = [Month(2026, m) for m in range(1, 12)]  # to November: on 7 December, the last month that is over


@pytest.fixture(autouse=True)
def seventh_of_december():
    with time_machine.travel(datetime.datetime(2026, 12, 7, 4, 0, tzinfo=datetime.UTC), tick=True):
        yield


def monthly_number(kpi: str, place: int, month: Month) -> int:
    """Every KPI, place and month its own number, and every place's year its own shape:
    hooliganism in the tens, registered offences in the thousands."""
    if kpi == "crime.hooliganism":
        return 20 + place + (month.month * (place % 5 + 2)) % 11
    return 2000 + 37 * place + (month.month * (place % 7 + 3)) % 13 * 11


@pytest.fixture
def figures() -> dict[tuple[str, str, Month], int]:
    """Both KPIs by month in every region, and in two districts of Astana and of Almaty
    (a region's own number the sum of its districts')."""
    numbers: dict[tuple[str, str, Month], int] = {}
    regions = list(Region.objects.filter(level=1).order_by("kato"))
    districts = {
        ASTANA: [RegionFactory(kato=f"7119{n}0000", kind="city_district") for n in (1, 2)],
        ALMATY: [
            RegionFactory(kato=f"7519{n}0000", kind="city_district", parent=Region.objects.get(kato=ALMATY))
            for n in (1, 2)
        ],
    }
    rows = []
    for n, region in enumerate(regions):
        for kpi in KPIS:
            for month in MONTHS:
                parts = [
                    (d, monthly_number(kpi, 100 + 10 * n + i, month))
                    for i, d in enumerate(districts.get(region.kato, []))
                ]
                own = sum(p for _d, p in parts) if parts else monthly_number(kpi, n, month)
                for place, number in [(region, own), *parts]:
                    numbers[(kpi, place.kato, month)] = number
                    rows.append(value(kpi, place, Period(month, month), number))
    Value.objects.bulk_create(rows)
    return numbers


def both_orders(first: Callable[[], None], second: Callable[[], None]) -> None:
    """Each page checked after the other one filled the cache, and the other way round."""
    for one, other in ((first, second), (second, first)):
        cache.clear()
        one()
        other()


# --- the dashboard: headline, table, trend and sparklines ---------------------------------


def trend_numbers(page: str, year: int) -> list[str]:
    """The numbers the trend chart writes beside its points of `year`, month by month."""
    trend = page.split('class="chart trend"')[1].split("</svg>")[0]
    return re.findall(rf"<title>[^<]* {year}: ([^<]+)</title></circle>", trend)


def sparkline_points(page: str) -> dict[str, str]:
    """Each row's sparkline as drawn (its polyline), by KATO."""
    table = page.split('<table class="stack">')[1].split("</tbody>")[0]
    out = {}
    for row in table.split('<tr data-kato="')[1:]:
        kato, _sep, rest = row.partition('"')
        found = re.search(r'<svg class="spark".*?<polyline points="([^"]*)"', rest.split("</tr>")[0])
        out[kato] = found[1] if found else ""
    return out


def expected_points(numbers: list[int]) -> str:
    drawn = charts.sparkline([Decimal(n) for n in numbers], title="-")
    found = re.search(r'points="([^"]*)"', drawn)
    return found[1] if found else ""


def children(kato: str | None) -> list[str]:
    found = Region.objects.filter(level=1) if kato is None else Region.objects.filter(parent__kato=kato)
    return sorted(found.values_list("kato", flat=True))


def dashboard_check(
    client: Client, figures: dict[tuple[str, str, Month], int], *, kpi: str, kato: str | None, last: int, lang: str
) -> Callable[[], None]:
    """Open the dashboard of `kpi` in `kato` (None: the nation) over January to month
    `last` in `lang`, and compare its headline, trend and sparklines with the values."""

    def total(kpi: str, month: Month) -> int:
        if kato is not None:
            return figures[(kpi, kato, month)]
        return sum(figures[(kpi, k, month)] for k in children(None))

    def check() -> None:
        query = {"kpi": kpi, "period": f"2026-01/2026-{last:02d}", "lang": lang}
        if kato:
            query["region"] = kato
        page = client.get("/dashboard/", query).content.decode()
        with translation.override(lang):
            expected_trend = [charts.number(Decimal(total(kpi, m)), 0) for m in MONTHS]
        assert trend_numbers(page, 2026) == expected_trend, (kpi, kato, last, lang)
        span = MONTHS[:last]
        expected_sparks = {k: expected_points([figures[(kpi, k, m)] for m in span]) for k in children(kato)}
        assert sparkline_points(page) == expected_sparks, (kpi, kato, last, lang)
        table = client.get("/dashboard/", {**query, "format": "csv"}).content.decode().splitlines()
        assert table[1].split(",")[2] == str(sum(total(kpi, m) for m in span)), (kpi, kato, last, lang)

    return check


@pytest.fixture
def office_client(client: Client, office) -> Client:  # type: ignore[no-untyped-def]
    client.force_login(office)
    return client


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"kpi": "crime.registered"}, {"kpi": "crime.hooliganism"}),
        ({"kato": ASTANA}, {"kato": ALMATY}),
        ({"kato": None}, {"kato": ASTANA}),
        ({"lang": "kk"}, {"lang": "en"}),
        ({"last": 9}, {"last": 11}),
    ],
    ids=["kpi", "region", "nation-or-region", "language", "span"],
)
def test_the_dashboard_draws_the_kpi_region_span_and_language_asked_for_whoever_came_first(
    office_client: Client, figures, first: dict, second: dict
) -> None:
    def page(**changes: object) -> Callable[[], None]:
        asked: dict = {"kpi": "crime.registered", "kato": None, "last": 11, "lang": "en", **changes}
        return dashboard_check(office_client, figures, **asked)

    both_orders(page(**first), page(**second))


def test_the_dashboard_opened_without_a_kpi_after_hooliganism_draws_registered_offences(
    office_client: Client, figures
) -> None:
    """The issue's own steps: /dashboard/?kpi=crime.hooliganism, then /dashboard/."""
    office_client.get("/dashboard/", {"kpi": "crime.hooliganism"})
    page = office_client.get("/dashboard/").content.decode()
    national = [sum(figures[("crime.registered", k, m)] for k in children(None)) for m in MONTHS]
    assert trend_numbers(page, 2026) == [charts.number(Decimal(n), 0) for n in national]
