"""KPI summaries checked against figures computed by hand."""

from decimal import Decimal

import pytest

from initiatives.engine.summary import Status, kpi_summary, traffic_light
from initiatives.models import Indicator, Target
from initiatives.periods import Period
from regions.models import Region
from tests.factories import RegionFactory, ValueFactory

pytestmark = pytest.mark.django_db


def summary(code: str, kato: str | None, span: str):
    region = Region.objects.get(kato=kato) if kato else None
    return kpi_summary(indicator=Indicator.objects.get(code=code), region=region, span=Period.parse(span))


def top_level() -> list[str]:
    return list(Region.objects.top_level().values_list("kato", flat=True))


# --- across time -------------------------------------------------------------------


def test_year_to_date_is_the_sum_of_its_months() -> None:
    for month, value in enumerate([100, 101, 102, 103, 104, 105, 106, 107, 108], start=1):
        ValueFactory(kpi="crime.registered", kato="710000000", period=f"2025-{month:02d}", value=value)
    s = summary("crime.registered", "710000000", "2025-01/2025-09")
    assert s.own.value.value == 936  # 100 + 101 + ... + 108
    assert s.own.value.complete
    assert s.own.value.method == "sum of 9 values tiling 2025-01/2025-09"


def test_the_published_year_to_date_figure_wins_over_the_sum_of_months() -> None:
    for month in range(1, 10):
        ValueFactory(kpi="crime.registered", kato="710000000", period=f"2025-{month:02d}", value=100)
    ValueFactory(
        kpi="crime.registered", kato="710000000", period="2025-01/2025-09", value=905
    )  # form 1-M, after corrections
    s = summary("crime.registered", "710000000", "2025-01/2025-09")
    assert s.own.value.value == 905
    assert s.own.value.method == "value for exactly 2025-01/2025-09"


def test_a_span_with_a_missing_month_is_incomplete_and_says_which() -> None:
    for month in (1, 2, 3, 4, 6, 7, 8, 9):  # no May
        ValueFactory(kpi="crime.registered", kato="710000000", period=f"2025-{month:02d}", value=100)
    s = summary("crime.registered", "710000000", "2025-01/2025-09")
    assert s.own.value.value is None
    assert not s.own.value.complete
    assert [(g.region, g.period) for g in s.own.value.missing] == [("710000000", "2025-05")]
    assert s.own.value.partial_value == 800  # offered apart, never as the answer
    assert s.own.change_percent is None and s.own.change_note == "incomplete"


def test_a_quarter_and_months_tile_a_half_year_without_counting_twice() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-Q1", value=300)
    for month in (4, 5, 6):
        ValueFactory(kpi="crime.registered", kato="710000000", period=f"2025-{month:02d}", value=110)
    # Monthly figures for February alone do not change the tiling: Jan and Mar are missing.
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-02", value=95)
    s = summary("crime.registered", "710000000", "2025-H1")
    assert s.own.value.value == 630  # 300 + 3 x 110
    assert s.own.value.method == "sum of 4 values tiling 2025-H1"


def test_the_finest_tiling_is_used_when_months_and_quarters_both_cover_a_span() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-Q1", value=300)
    for month, value in ((1, 90), (2, 95), (3, 120)):
        ValueFactory(kpi="crime.registered", kato="710000000", period=f"2025-{month:02d}", value=value)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-04", value=100)
    s = summary("crime.registered", "710000000", "2025-01/2025-04")
    assert s.own.value.value == 405  # 90 + 95 + 120 + 100, the months rather than Q1 + April


def test_overlapping_values_that_cannot_tile_are_reported_not_summed() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-01/2025-02", value=200)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-02/2025-03", value=210)
    s = summary("crime.registered", "710000000", "2025-Q1")
    assert s.own.value.value is None
    assert s.own.value.missing[0].reason == "the values overlap and do not tile the span"
    assert s.own.value.partial_value is None


def test_a_stock_takes_the_value_in_force_at_the_end_of_the_span() -> None:
    for month, value in ((1, 10), (2, 12), (3, 15)):
        ValueFactory(kpi="settlements.alcohol_free", kato="710000000", period=f"2025-{month:02d}", value=value)
    assert summary("settlements.alcohol_free", "710000000", "2025-Q1").own.value.value == 15


def test_only_approved_values_count() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=100)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-08", value=999, approved=False)
    s = summary("crime.registered", "710000000", "2025-08/2025-09")
    assert not s.own.value.complete
    assert s.own.value.missing[0].period == "2025-08"


# --- across regions -----------------------------------------------------------------


def test_the_national_total_is_the_sum_of_the_regions() -> None:
    for i, kato in enumerate(top_level()):
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-09", value=1000 + i)
    s = summary("crime.registered", None, "2025-09")
    assert s.own.value.value == 20 * 1000 + sum(range(20))  # 20,190
    assert s.own.value.complete
    assert len(s.breakdown) == 20
    assert sum(r.value.value for r in s.breakdown) == s.own.value.value


def test_a_region_without_a_figure_makes_the_national_total_incomplete() -> None:
    for kato in top_level()[1:]:
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-09", value=1000)
    s = summary("crime.registered", None, "2025-09")
    assert s.own.value.value is None
    assert [g.region for g in s.own.value.missing] == [top_level()[0]]
    assert s.own.value.partial_value == 19_000


def test_regions_that_did_not_exist_yet_are_not_counted_as_missing() -> None:
    created_2022 = {"100000000", "330000000", "620000000"}
    for kato in set(top_level()) - created_2022:
        ValueFactory(kpi="crime.registered", kato=kato, period="2021-09", value=100)
    s = summary("crime.registered", None, "2021-09")
    assert s.own.value.complete
    assert s.own.value.value == 1700
    assert {r.kato for r in s.breakdown}.isdisjoint(created_2022)


def test_a_region_without_its_own_figure_is_the_sum_of_its_districts() -> None:
    astana = Region.objects.get(kato="710000000")
    d1 = RegionFactory(kato="711100000", parent=astana, kind="city_district")
    d2 = RegionFactory(kato="711200000", parent=astana, kind="city_district")
    ValueFactory(kpi="crime.registered", kato=d1.kato, period="2025-09", value=300)
    ValueFactory(kpi="crime.registered", kato=d2.kato, period="2025-09", value=100)
    s = summary("crime.registered", "710000000", "2025-09")
    assert s.own.value.value == 400
    assert s.own.value.method == "sum of 2 units below 710000000"
    assert [(r.kato, r.value.value) for r in s.breakdown] == [("711100000", 300), ("711200000", 100)]


def test_a_regions_own_official_figure_is_used_even_when_districts_have_figures() -> None:
    astana = Region.objects.get(kato="710000000")
    district = RegionFactory(kato="711100000", parent=astana, kind="city_district")
    ValueFactory(kpi="crime.registered", kato=district.kato, period="2025-09", value=300)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=420)
    assert summary("crime.registered", "710000000", "2025-09").own.value.value == 420


def test_a_kpi_that_does_not_add_up_across_regions_has_no_national_figure() -> None:
    for kato in top_level():
        ValueFactory(kpi="cases.electronic_share", kato=kato, period="2025-09", value="92.5")
    s = summary("cases.electronic_share", None, "2025-09")
    assert s.own.value.value is None
    assert s.own.value.missing[0].reason == "does not add up across regions"
    assert s.breakdown[0].value.value == Decimal("92.5")


# --- formulas and rates -------------------------------------------------------------


@pytest.fixture
def two_districts() -> tuple[Region, Region]:
    astana = Region.objects.get(kato="710000000")
    d1 = RegionFactory(kato="711100000", parent=astana, kind="city_district")
    d2 = RegionFactory(kato="711200000", parent=astana, kind="city_district")
    ValueFactory(kpi="crime.registered", kato=d1.kato, period="2025-09", value=300)
    ValueFactory(kpi="population", kato=d1.kato, period="2024", value=100_000)  # as at the end of 2024
    ValueFactory(kpi="crime.registered", kato=d2.kato, period="2025-09", value=100)
    ValueFactory(kpi="population", kato=d2.kato, period="2024", value=300_000)
    return d1, d2


def test_the_rate_per_10k_is_a_ratio_of_sums_not_a_sum_or_mean_of_ratios(two_districts) -> None:
    s = summary("crime.registered_per_10k", "710000000", "2025-09")
    # (300 + 100) / (100,000 + 300,000) x 10,000 = 10.0; the mean of 30.0 and 3.3 would be 16.7.
    assert s.own.value.value == Decimal(10)
    assert s.own.value.method == "crime.registered / population x 10000"


def test_a_count_summary_carries_its_rate_per_10k_with_the_population(two_districts) -> None:
    s = summary("crime.registered", "710000000", "2025-09")
    assert s.own.rate_per_10k.value == Decimal(10)
    assert s.own.population.value == 400_000
    assert [r.rate_per_10k.value for r in s.breakdown] == [Decimal(30), Decimal(100) / 300_000 * 10_000]


def test_a_missing_population_leaves_the_rate_incomplete_and_names_it() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=300)
    s = summary("crime.registered", "710000000", "2025-09")
    assert s.own.value.value == 300
    assert s.own.rate_per_10k.value is None
    assert [(g.kpi, g.region) for g in s.own.rate_per_10k.missing] == [("population", "710000000")]


# --- comparison, targets and the estimate ------------------------------------------


def test_the_change_is_against_the_same_span_a_year_before() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2024-01/2024-09", value=1000)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-01/2025-09", value=933)
    s = summary("crime.registered", "710000000", "2025-01/2025-09")
    assert str(s.previous_span) == "2024-01/2024-09"
    assert s.own.previous.value == 1000
    assert s.own.change_percent == Decimal("-6.7")


def test_a_zero_base_a_year_before_gives_no_percentage_and_says_why() -> None:
    ValueFactory(kpi="crime.brigandage", kato="710000000", period="2024-09", value=0)
    ValueFactory(kpi="crime.brigandage", kato="710000000", period="2025-09", value=3)
    s = summary("crime.brigandage", "710000000", "2025-09")
    assert s.own.change_percent is None
    assert s.own.change_note == "zero a year before: no base for a percentage"


def test_the_year_end_estimate_follows_last_years_seasonal_shape() -> None:
    # 2024: 75 of the year's 100 fell in January-September; 2025 has 60 by September.
    ValueFactory(kpi="crime.registered", kato="710000000", period="2024-01/2024-09", value=75)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2024", value=100)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-01/2025-09", value=60)
    s = summary("crime.registered", "710000000", "2025-01/2025-09")
    assert s.estimate.value == 80
    assert s.estimate.is_estimate
    assert "scaled by 2024's seasonal shape (75.0% of 2024 fell in the same months)" in s.estimate.method


def test_the_estimate_is_linear_when_last_year_is_unknown() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-01/2025-09", value=60)
    s = summary("crime.registered", "710000000", "2025-01/2025-09")
    assert s.estimate.value == 80  # 60 / 9 x 12
    assert "extended linearly" in s.estimate.method


def test_status_compares_the_estimate_with_the_target_in_the_kpis_direction() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-01/2025-09", value=60)  # estimate 80
    registered = Indicator.objects.get(code="crime.registered")
    Target.objects.create(indicator=registered, region=Region.objects.get(kato="710000000"), year=2025, target_value=85)
    s = summary("crime.registered", "710000000", "2025-01/2025-09")
    assert (s.target.target_value, s.status) == (85, Status.ON_TRACK)


@pytest.mark.parametrize(
    ("direction", "estimate", "target", "status"),
    [
        ("lower", 100, 100, Status.ON_TRACK),
        ("lower", 104, 100, Status.AT_RISK),
        ("lower", 106, 100, Status.OFF_TRACK),
        ("higher", 100, 100, Status.ON_TRACK),
        ("higher", 96, 100, Status.AT_RISK),
        ("higher", 94, 100, Status.OFF_TRACK),
        ("lower", None, 100, Status.UNKNOWN),
        ("lower", 100, None, Status.NO_TARGET),
    ],
)
def test_the_traffic_light(direction: str, estimate: int | None, target: int | None, status: str) -> None:
    as_decimal = lambda v: None if v is None else Decimal(v)  # noqa: E731
    assert traffic_light(direction, as_decimal(estimate), as_decimal(target)) == status


# --- corrections and query budget ----------------------------------------------------


def test_a_corrected_value_changes_every_summary_that_uses_it() -> None:
    from initiatives.services.values import value_set

    for kato in top_level():
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-09", value=100)
    before = summary("crime.registered", None, "2025-09").own.value.value
    astana_before = summary("crime.registered_per_10k", "710000000", "2025-09")
    value_set(
        indicator=Indicator.objects.get(code="crime.registered"),
        region=Region.objects.get(kato="710000000"),
        period=Period.parse("2025-09"),
        value=Decimal(150),
        source="import",
        user=None,
        approved=True,
    )
    assert summary("crime.registered", None, "2025-09").own.value.value == before + 50
    assert astana_before.own.value.value is None  # no population yet: the rate said so


def test_a_summary_takes_the_same_queries_for_few_and_many_regions(assert_queries_do_not_grow) -> None:
    for kato in top_level():
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-09", value=100)
    astana = Region.objects.get(kato="710000000")
    first = RegionFactory(kato="711000000", parent=astana, kind="city_district")
    ValueFactory(kpi="crime.registered", kato=first.kato, period="2025-09", value=5)

    def add_rows() -> None:
        for n in range(1, 40):
            district = RegionFactory(kato=f"71{n + 10:02d}00000", parent=astana, kind="city_district")
            ValueFactory(kpi="crime.registered", kato=district.kato, period="2025-09", value=5)
            ValueFactory(kpi="population", kato=district.kato, period="2024", value=1000)

    assert_queries_do_not_grow(lambda: summary("crime.registered", "710000000", "2025-09"), add_rows, budget=14)


# --- edge cases found in review ------------------------------------------------------


def test_regions_created_mid_span_count_only_the_months_they_existed() -> None:
    """Abai, Jetisu and Ulytau began on 2022-06-08: the 2022 national total is complete
    with their June-December months, and no one is asked for months before they existed."""
    created_2022 = {"100000000", "330000000", "620000000"}
    for kato in top_level():
        first = 6 if kato in created_2022 else 1
        for month in range(first, 13):
            ValueFactory(kpi="crime.registered", kato=kato, period=f"2022-{month:02d}", value=10)
    s = summary("crime.registered", None, "2022")
    assert s.own.value.complete, s.own.value.missing
    assert s.own.value.value == 17 * 12 * 10 + 3 * 7 * 10


def test_a_stock_is_read_as_at_the_end_of_its_period_never_from_a_later_one() -> None:
    ValueFactory(kpi="settlements.alcohol_free", kato="710000000", period="2024", value=40)  # as at December 2024
    ValueFactory(kpi="settlements.alcohol_free", kato="710000000", period="2025-03", value=12)
    march_2024 = summary("settlements.alcohol_free", "710000000", "2024-03").own.value
    assert march_2024.value is None  # the end-of-2024 count says nothing about March 2024
    s = summary("settlements.alcohol_free", "710000000", "2025-Q2")
    assert s.own.value.value == 12  # March's count carried forward to June
    assert s.own.value.method == "value as at the end of 2025-03, carried forward to 2025-06"


def test_a_stock_older_than_a_year_is_not_carried_forward() -> None:
    ValueFactory(kpi="settlements.alcohol_free", kato="710000000", period="2024-01", value=7)
    assert summary("settlements.alcohol_free", "710000000", "2025-03").own.value.value is None


def test_a_stock_estimate_is_its_latest_value_carried_forward() -> None:
    ValueFactory(kpi="cases.electronic_share", kato="710000000", period="2024-12", value=70)
    ValueFactory(kpi="cases.electronic_share", kato="710000000", period="2025-03", value=97)
    s = summary("cases.electronic_share", "710000000", "2025-03")
    assert s.estimate.value == 97
    assert "carried forward to the end of 2025" in s.estimate.method


def test_a_closed_year_is_judged_by_its_actual_figure_not_an_estimate() -> None:
    for month in range(1, 13):
        ValueFactory(kpi="crime.murder", kato="710000000", period=f"2024-{month:02d}", value=10 if month <= 5 else 1)
    Target.objects.create(
        indicator=Indicator.objects.get(code="crime.murder"),
        region=Region.objects.get(kato="710000000"),
        year=2024,
        target_value=60,
    )
    s = summary("crime.murder", "710000000", "2024-05")
    assert (s.estimate.value, s.estimate.is_estimate) == (57, False)
    assert s.status == Status.ON_TRACK


def test_a_zero_total_last_year_falls_back_to_a_linear_estimate() -> None:
    ValueFactory(kpi="crime.brigandage", kato="710000000", period="2024", value=0)
    ValueFactory(
        kpi="crime.brigandage", kato="710000000", period="2024-01/2024-09", value=3
    )  # a revision left these inconsistent
    ValueFactory(kpi="crime.brigandage", kato="710000000", period="2025-01/2025-09", value=9)
    s = summary("crime.brigandage", "710000000", "2025-01/2025-09")
    assert s.estimate.value == 12
    assert "extended linearly" in s.estimate.method


def test_a_change_that_rounds_to_nothing_is_zero_not_minus_zero() -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2024-09", value=100_000)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=99_996)
    s = summary("crime.registered", "710000000", "2025-09")
    assert str(s.own.change_percent) == "0.0"


@pytest.mark.parametrize(("before", "now", "change"), [(1000, 1025, "2.5"), (1000, 975, "-2.5"), (400, 401, "0.3")])
def test_the_change_rounds_half_up_to_one_decimal(before: int, now: int, change: str) -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2024-09", value=before)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=now)
    assert str(summary("crime.registered", "710000000", "2025-09").own.change_percent) == change
