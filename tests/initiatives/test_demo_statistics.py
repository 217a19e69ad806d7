"""The demo generator keeps the promises of `initiatives/demo/statistics.py` (issue 25):
district series that add up to each region's value as form 1-M does, from June 2022, with
parameters from fixed ranges and many small counts. Pure: no database."""

import random
from collections import defaultdict
from decimal import Decimal
from statistics import mean

import pytest

from initiatives.demo import statistics as demo
from initiatives.demo.programme import DEMO_SETTLEMENTS, demo_okrugs
from initiatives.periods import Month
from initiatives.reference_data import first_level_population, indicator_rows
from regions.kato import kato_level, kato_top
from regions.reference_data import first_level_rows

LAST = Month(2026, 11)
REGIONS = [row["kato"] for row in first_level_rows()]
VILLAGE_DISTRICTS = [chain[0][0] for chain in DEMO_SETTLEMENTS]

Series = dict[tuple[str, str], list[Decimal]]  # (KATO, KPI) -> monthly values, in order


@pytest.fixture(scope="module")
def generated() -> tuple[list[demo.DemoDistrict], list[demo.GeneratedValue], Series]:
    """The demo as `make run` loads it: the default number of districts."""
    districts = demo.demo_districts(REGIONS, demo.DEFAULT_DISTRICTS, keep=VILLAGE_DISTRICTS)
    values = demo.generate_values(REGIONS, districts, demo_okrugs(), last=LAST)
    series: Series = defaultdict(list)
    for g in sorted(values, key=lambda g: (g.kato, g.code, g.period)):
        if g.period.months == 1:
            series[g.kato, g.code].append(g.value)
    return districts, values, series


def test_the_offences_generated_are_the_catalogues_offences_that_add_up_over_time() -> None:
    catalogue = {r["code"] for r in indicator_rows() if r["group"] == "offences" and r["aggregation_time"] == "sum"}
    assert set(demo.OFFENCES) == catalogue


def test_every_district_and_region_has_every_offence_every_month_from_june_2022(generated) -> None:
    districts, values, series = generated
    months = (LAST.index - Month(2022, 6).index) + 1
    for kato in [*REGIONS, *(d.kato for d in districts)]:
        for code in demo.OFFENCES:
            assert len(series[kato, code]) == months, (kato, code)
    offence_months = {g.period.start for g in values if g.code in demo.OFFENCES}
    assert min(offence_months) == Month(2022, 6) and max(offence_months) == LAST


def test_each_regions_own_value_is_the_exact_sum_of_its_districts_and_the_nation_is_not_stored(generated) -> None:
    districts, values, series = generated
    by_region: dict[str, list[str]] = defaultdict(list)
    for d in districts:
        by_region[d.region].append(d.kato)
    assert set(by_region) == set(REGIONS)
    for region, katos in by_region.items():
        for code in demo.OFFENCES:
            summed = [sum(month) for month in zip(*(series[k, code] for k in katos), strict=True)]
            assert series[region, code] == summed, (region, code)
    assert {kato_level(g.kato) for g in values} == {1, 2, 3}  # no national row (KZ has no code)


def test_the_figures_are_consistent_in_every_district_region_and_month(generated) -> None:
    districts, _values, series = generated
    for kato in [*REGIONS, *(d.kato for d in districts)]:

        def s(code: str, kato: str = kato) -> list[Decimal]:
            return series[kato, code]

        for i, registered in enumerate(s("crime.registered")):
            crimes = s("crime.crimes")[i]
            assert s("crime.misdemeanours")[i] + crimes == registered
            assert sum(s(code)[i] for code in demo.GRAVITY) == crimes
            articles = sum(s(code)[i] for code in demo.ARTICLES)
            assert articles <= crimes
            assert s("crime.murder")[i] <= s("crime.grave")[i] + s("crime.especially_grave")[i]
            assert s("crime.internet_fraud")[i] <= s("crime.fraud")[i]
            assert articles + s("crime.hooliganism")[i] <= registered


def test_about_forty_percent_of_the_district_series_average_below_three_a_month(generated) -> None:
    districts, _values, series = generated
    means = [mean(series[d.kato, code]) for d in districts for code in demo.OFFENCES]
    small = sum(m < 3 for m in means) / len(means)
    assert 0.36 <= small <= 0.44, small


def test_the_regions_keep_about_sixty_offences_a_year_per_ten_thousand_people(generated) -> None:
    _districts, values, _series = generated
    people = sum(p.population for p in first_level_population().values())
    known = set(first_level_population())
    registered_2024 = sum(
        g.value for g in values if g.code == "crime.registered" and g.kato in known and g.period.start.year == 2024
    )
    assert 50 <= registered_2024 / people * 10_000 <= 66


def test_the_districts_are_shared_out_by_population_with_the_villages_districts_among_them() -> None:
    districts = demo.demo_districts(REGIONS, 200, keep=VILLAGE_DISTRICTS)
    assert len(districts) == len({d.kato for d in districts}) == 200
    count = defaultdict(int)
    for d in districts:
        assert kato_level(d.kato) == 2 and kato_top(d.kato) == d.region
        count[d.region] += 1
    assert set(count) == set(REGIONS) and min(count.values()) >= 1
    assert max(count, key=count.__getitem__) == "750000000"  # Almaty, the most people
    assert count["750000000"] > 5 * count["620000000"]  # Ulytau, the fewest
    assert set(VILLAGE_DISTRICTS) <= {d.kato for d in districts}
    for region in REGIONS:
        assert sum(d.share for d in districts if d.region == region) == pytest.approx(1)
    assert len(demo.demo_districts(REGIONS, 40, keep=VILLAGE_DISTRICTS)) == 40


def test_a_number_of_districts_the_regions_cannot_hold_is_refused() -> None:
    with pytest.raises(ValueError):
        demo.demo_districts(REGIONS, len(REGIONS) - 1)


def test_the_parameters_are_drawn_from_the_fixed_ranges_and_the_same_on_every_run() -> None:
    drawn = [demo.series_parameters(f"key-{i}", summer=i % 2 == 0) for i in range(2000)]
    assert drawn[7] == demo.series_parameters("key-7", summer=False)
    trends = [p.trend for p in drawn]
    assert -0.08 <= min(trends) < -0.075 and 0.035 < max(trends) <= 0.04
    amplitudes = [p.amplitude for p in drawn]
    assert 0.05 <= min(amplitudes) < 0.06 and 0.24 < max(amplitudes) <= 0.25
    dispersions = [p.dispersion for p in drawn]
    assert 5 <= min(dispersions) < 5.2 and 19.8 < max(dispersions) <= 20
    for i, p in enumerate(drawn):
        assert p.peak in ((6, 7, 8) if i % 2 == 0 else (12, 1, 2))
        first, second = p.shocks
        assert second - first > 2  # two shocks of two months each, apart
        assert Month(2022, 6).index <= first and second + 1 <= Month(2026, 6).index


def test_a_shock_raises_the_expected_level_by_half_for_two_months() -> None:
    p = demo.SeriesParameters(trend=0.0, amplitude=0.0, peak=7, dispersion=10, shocks=(Month(2024, 3).index,))
    levels = [demo.expected(p, 10, Month(2024, m)) for m in (2, 3, 4, 5)]
    assert levels == pytest.approx([10, 15, 15, 10])


def test_the_trend_and_the_season_move_the_expected_level() -> None:
    p = demo.SeriesParameters(trend=-0.08, amplitude=0.2, peak=7, dispersion=10, shocks=())
    assert demo.expected(p, 10, Month(2025, 1)) == pytest.approx(10 * 0.92 * 0.8)  # a year on, in winter
    assert demo.expected(p, 10, Month(2025, 7)) == pytest.approx(10 * 0.92**1.5 * 1.2)  # at the summer peak


@pytest.mark.parametrize("level", [0.7, 4.0, 60.0])
def test_the_noise_is_negative_binomial_around_the_level(level: float) -> None:
    rng = random.Random(5)
    dispersion = 8.0
    draws = [demo.negative_binomial(level, dispersion, rng) for _ in range(40_000)]
    m = mean(draws)
    variance = mean((d - m) ** 2 for d in draws)
    assert m == pytest.approx(level, rel=0.03)
    assert variance == pytest.approx(level + level**2 / dispersion, rel=0.06)


def test_the_villages_okrugs_fall_after_a_decision_that_holds_and_stay_within_their_district(generated) -> None:
    _districts, _values, series = generated
    first = Month(2022, 6).index
    for okrug in demo_okrugs():
        counts = series[okrug.kato, "crime.registered"]
        assert all(c <= d for c, d in zip(counts, series[okrug.district, "crime.registered"], strict=True))
        if okrug.low_from is not None and okrug.low_until is None:  # verified or sustained
            before = mean(counts[: okrug.low_from.index - first])
            after = mean(counts[okrug.low_from.index - first :])
            assert 2 <= before <= 9 and after < Decimal("0.75") * before, (okrug.kato, before, after)


def test_the_same_on_every_run_and_a_later_month_changes_none_before_it() -> None:
    districts = demo.demo_districts(REGIONS, 20, keep=VILLAGE_DISTRICTS)
    earlier = demo.generate_values(REGIONS, districts, demo_okrugs(), last=LAST)
    assert demo.generate_values(REGIONS, districts, demo_okrugs(), last=LAST) == earlier
    later = demo.generate_values(REGIONS, districts, demo_okrugs(), last=LAST.plus(1))
    assert set(earlier) <= set(later)
