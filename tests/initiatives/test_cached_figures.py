"""What is kept in the cache is kept under everything that changes it (STYLE.md): the KPI,
the region, the span, the language, the caller's scope and the figures' version. Each
cached thing is opened for two of each, in either order from an empty cache, and what is
drawn is compared with the values it was drawn from: the first reader never decides what
the second one sees."""

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from initiatives import charts
from initiatives.models import Value
from initiatives.periods import Month, Period
from regions.models import Region
from tests.factories import RegionFactory, value

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seventh_of_december")]

ASTANA, ALMATY = "710000000", "750000000"
KPIS = ("crime.registered", "crime.hooliganism")
MONTHS = [Month(2026, m) for m in range(1, 12)]  # to November: on 7 December, the last month that is over
# Two askings that differ in one thing each: every page is opened in both orders.
ASKED_PAIRS = [
    ({"kpi": "crime.registered"}, {"kpi": "crime.hooliganism"}),
    ({"kato": ASTANA}, {"kato": ALMATY}),
    ({"kato": None}, {"kato": ASTANA}),
    ({"lang": "kk"}, {"lang": "en"}),
    ({"last": 9}, {"last": 11}),
]
ASKED_IDS = ["kpi", "region", "nation-or-region", "language", "span"]


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


@pytest.mark.parametrize(("first", "second"), ASKED_PAIRS, ids=ASKED_IDS)
def test_the_dashboard_draws_the_kpi_region_span_and_language_asked_for_whoever_came_first(
    staff: Client, figures, first: dict, second: dict
) -> None:
    def page(**changes: object) -> Callable[[], None]:
        asked: dict = {"kpi": "crime.registered", "kato": None, "last": 11, "lang": "en", **changes}
        return dashboard_check(staff, figures, **asked)

    both_orders(page(**first), page(**second))


def test_the_dashboard_opened_without_a_kpi_after_hooliganism_draws_registered_offences(staff: Client, figures) -> None:
    """The issue's own steps: /dashboard/?kpi=crime.hooliganism, then /dashboard/."""
    staff.get("/dashboard/", {"kpi": "crime.hooliganism"})
    page = staff.get("/dashboard/").content.decode()
    national = [sum(figures[("crime.registered", k, m)] for k in children(None)) for m in MONTHS]
    assert trend_numbers(page, 2026) == [charts.number(Decimal(n), 0) for n in national]


def test_the_dashboard_opened_by_the_office_and_by_a_coordinator_draws_each_their_own(
    client: Client, office, coordinator_astana, figures
) -> None:
    """The caller's scope: without `region`, the office sees the nation, a coordinator their region."""
    other = Client()
    other.force_login(coordinator_astana)
    client.force_login(office)
    national = dashboard_check(client, figures, kpi="crime.registered", kato=None, last=11, lang="en")
    own = dashboard_check(other, figures, kpi="crime.registered", kato=ASTANA, last=11, lang="en")

    def astana_unasked() -> None:  # the coordinator names no region: their own
        page = other.get("/dashboard/", {"period": "2026-01/2026-11"}).content.decode()
        expected = [charts.number(Decimal(figures[("crime.registered", ASTANA, m)]), 0) for m in MONTHS]
        assert trend_numbers(page, 2026) == expected

    both_orders(national, astana_unasked)
    both_orders(own, national)


# --- the summary endpoint: its JSON kept under the summary's key ------------------------


def summary_check(
    caller: Callable[[str], object],
    figures: dict[tuple[str, str, Month], int],
    *,
    kpi: str,
    kato: str | None,
    last: int,
    lang: str,
    who: str = "office",
) -> Callable[[], None]:
    """Ask the API for the summary and compare its value, its breakdown and their names with the values."""
    from initiatives.models import Indicator

    span = MONTHS[:last]

    def check() -> None:
        query = {"period_from": "2026-01", "period_to": f"2026-{last:02d}", "lang": lang}
        if kato:
            query["region"] = kato
        body = caller(who).get(f"/api/v1/kpis/{kpi}/summary/", query).json()  # type: ignore[attr-defined]
        with translation.override(lang):
            assert body["kpi"]["name"] == Indicator.objects.get(code=kpi).name
            names = {r.kato: r.name for r in Region.objects.filter(kato__in=children(kato))}
        got = {b["region"]["kato"]: (b["value"], b["region"]["name"]) for b in body["breakdown"]}
        expected = {k: (str(sum(figures[(kpi, k, m)] for m in span)), names[k]) for k in children(kato)}
        assert got == expected, (kpi, kato, last, lang, who)
        assert body["value"] == str(sum(int(v) for v, _name in expected.values())), (kpi, kato, last, lang, who)

    return check


@pytest.mark.parametrize(
    ("first", "second"),
    [
        *ASKED_PAIRS,
        ({"who": "office", "kato": ASTANA}, {"who": "coordinator_astana", "kato": ASTANA}),
        ({"who": "token_kpi", "lang": "ru"}, {"who": "office", "lang": "kk"}),
    ],
    ids=[*ASKED_IDS, "office-or-coordinator", "token-or-session"],
)
def test_the_summary_endpoint_answers_the_kpi_region_span_and_language_asked_for_whoever_came_first(
    caller, figures, first: dict, second: dict
) -> None:
    def ask(**changes: object) -> Callable[[], None]:
        asked: dict = {"kpi": "crime.registered", "kato": None, "last": 11, "lang": "en", **changes}
        return summary_check(caller, figures, **asked)

    both_orders(ask(**first), ask(**second))


def test_a_coordinator_never_gets_the_national_summary_another_caller_left_in_the_cache(caller, figures) -> None:
    summary_check(caller, figures, kpi="crime.registered", kato=None, last=11, lang="en")()
    national = caller("coordinator_astana").get(  # type: ignore[attr-defined]
        "/api/v1/kpis/crime.registered/summary/", {"period_from": "2026-01", "period_to": "2026-11"}
    )
    assert national.status_code == 403
    other = caller("coordinator_astana").get(  # type: ignore[attr-defined]
        "/api/v1/kpis/crime.registered/summary/", {"period_from": "2026-01", "period_to": "2026-11", "region": ALMATY}
    )
    assert other.status_code == 404


# --- the public page: whole responses cached per language, KPI, period and format --------


@pytest.fixture
def two_releases(figures, office):  # type: ignore[no-untyped-def]
    """October's and November's releases, each confirmed by a second member of the office."""
    from django.contrib.auth.models import Group

    from agencies.roles import PROJECT_OFFICE_GROUP
    from initiatives.services.releases import release_confirm, release_publish
    from tests.factories import UserFactory

    second = UserFactory(username="office.second", is_staff=True)
    second.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    for period in ("2026-10", "2026-11"):
        release_confirm(release=release_publish(period=Period.parse(period), user=office), user=second)
    return figures


def public_check(
    figures: dict[tuple[str, str, Month], int], *, kpi: str, month: int, lang: str, fmt: str, who: Client
) -> Callable[[], None]:
    """Open the public page (or its CSV) and compare each region's number and name with the values."""

    def check() -> None:
        response = who.get("/public/", {"kpi": kpi, "period": f"2026-{month:02d}", "lang": lang, "format": fmt})
        text = response.content.decode()
        with translation.override(lang):
            names = {r.kato: r.name for r in Region.objects.filter(level=1)}
        expected = {k: (str(figures[(kpi, k, Month(2026, month))]), names[k]) for k in children(None)}
        if fmt == "csv":
            lines = [line.split(",") for line in text.splitlines()[1:]]
            got = {cells[0]: (cells[2], cells[1]) for cells in lines if cells[0]}
        else:
            rows = text.split('<table class="stack" id="figures">')[1].split("</tbody>")[0].split('<tr data-kato="')
            got = {}
            for row in rows[1:]:
                kato, _sep, rest = row.partition('"')
                if kato:
                    cells = re.findall(r"<td[^>]*>(.*?)</td>", rest, flags=re.S)
                    got[kato] = (re.sub(r"\D", "", cells[1]), cells[0])
        assert got == expected, (kpi, month, lang, fmt)

    return check


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"kpi": "crime.registered"}, {"kpi": "crime.hooliganism"}),
        ({"month": 10}, {"month": 11}),
        ({"lang": "kk"}, {"lang": "en"}),
        ({"fmt": "html"}, {"fmt": "csv"}),
        ({"who": "anonymous"}, {"who": "office"}),
    ],
    ids=["kpi", "release", "language", "format", "anonymous-or-office"],
)
def test_the_public_page_shows_the_kpi_release_and_language_asked_for_whoever_came_first(
    two_releases, office, first: dict, second: dict
) -> None:
    logged_in = Client()
    logged_in.force_login(office)
    clients = {"anonymous": Client(), "office": logged_in}

    def open_(**changes: object) -> Callable[[], None]:
        asked: dict = {"kpi": "crime.registered", "month": 11, "lang": "en", "fmt": "html", "who": "anonymous"}
        asked.update(changes)
        return public_check(two_releases, **{**asked, "who": clients[str(asked["who"])]})

    both_orders(open_(**first), open_(**second))


def test_the_release_figures_answer_the_kpi_and_release_asked_for(two_releases, office) -> None:
    """Not cached today; the check is here so that the day they are, the key holds all this."""
    from initiatives.models import Release

    known = Client()
    known.force_login(office)
    releases = {r.period: r.pk for r in Release.objects.all()}

    def fetch(kpi: str, month: int, who: Client) -> Callable[[], None]:
        def check() -> None:
            body = who.get(f"/api/v1/releases/{releases[f'2026-{month:02d}']}/figures/", {"kpi": kpi}).json()
            got = {f["kato"]: f["value"] for f in body["figures"] if f["kato"]}
            assert got == {k: str(two_releases[(kpi, k, Month(2026, month))]) for k in children(None)}

        return check

    both_orders(fetch("crime.registered", 10, known), fetch("crime.hooliganism", 11, Client()))
    both_orders(fetch("crime.registered", 11, Client()), fetch("crime.registered", 10, known))
