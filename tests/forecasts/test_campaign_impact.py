"""Campaign impact: each alcohol-free village's offences after its decision against what its
own series forecast, the campaign's sum with its range, and the register that shows them."""

import datetime
import math
import random
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from simple_history.utils import bulk_create_with_history

from initiatives.forecasts.conformal import conformal_quantile
from initiatives.forecasts.impact import campaign_impacts_refresh
from initiatives.forecasts.impact_selectors import VillageImpact, overall_impact
from initiatives.models import Campaign, CampaignImpact, ForecastKind, ForecastRun, Indicator, Value
from initiatives.periods import Month, Period
from initiatives.selectors.villages import alcohol_free_register
from regions.models import Region
from tests.factories import CampaignFactory, RegionFactory, value

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

OUTCOME = "crime.registered"
TODAY = datetime.date(2026, 12, 2)
WRITTEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
LAST = Month(2026, 11)  # the last month over on the second of December


def village(
    decided: str, first: Month, *, after: float = 1.0, seed: int = 0, last: Month = LAST, city: str = ""
) -> Campaign:
    """A village decided on `decided` with offences every month from `first` to `last`:
    about 10 a month with a yearly swing, times `after` from the month after the decision."""
    parent = Region.objects.get(kato=city) if city else None
    place = RegionFactory(**({"parent": parent, "kato": f"{city[:2]}9{seed:06d}"} if parent else {}))
    decision = Month.from_date(datetime.date.fromisoformat(decided))
    rng = random.Random(seed)
    rows = []
    for index in range(first.index, last.index + 1):
        month = Month.from_index(index)
        level = 10 + 4 * math.sin(2 * math.pi * month.month / 12) + rng.uniform(-1.5, 1.5)
        if index > decision.index:
            level *= after
        rows.append(value(OUTCOME, place, Period(month, month), max(0, round(level))))
    bulk_create_with_history(rows, Value, default_date=WRITTEN)
    return CampaignFactory(
        kind="alcohol_free",
        region=place,
        settlement_stage="verified",
        declared_on=datetime.date.fromisoformat(decided),
        start_date=datetime.date.fromisoformat(decided),
    )


def stored_impact(campaign: Campaign, *, expected_a_month: float = 10.0) -> CampaignImpact:
    """An impact as a refresh stores it, without the fitting: for the readers' tests."""
    run, _ = ForecastRun.objects.get_or_create(
        kind=ForecastKind.IMPACT,
        defaults={
            "indicator": Indicator.objects.get(code=OUTCOME),
            "origin": datetime.date(2025, 6, 1),
            "origins": 24,
            "trigger": "command",
            "status": "done",
        },
    )
    origin = Month.from_date(campaign.declared_on or campaign.start_date)
    return CampaignImpact.objects.create(
        campaign=campaign,
        run=run,
        region=campaign.region,
        origin=origin.first_day,
        months_read=42,
        scale=2.0,
        months=[
            {"period": origin.plus(h).first_day.isoformat(), "value": expected_a_month, "lower_80": 7.0,
             "upper_80": 13.0, "benchmark": expected_a_month}
            for h in range(1, 13)
        ],
        totals=[
            {"months": m, "value": expected_a_month * m, "lower_80": expected_a_month * m - 2 * m,
             "upper_80": expected_a_month * m + 2 * m}
            for m in range(1, 13)
        ],
        errors=[[(-1) ** k * 0.5 * h if k + 1 >= h else None for k in range(24)] for h in range(1, 13)],
    )  # fmt: skip


def row_of(page: str, campaign: Campaign) -> str:
    return page.split(f'<tr data-kato="{campaign.region.kato}">')[1].split("</tr>")[0]


def impact_of(campaign: Campaign, user) -> VillageImpact:
    register = alcohol_free_register(user=user, region=None, today=TODAY)
    found = next(v for v in register.villages if v.campaign.pk == campaign.pk).impact
    assert found is not None
    return found


def test_a_village_whose_offences_fell_after_its_decision_is_well_below_its_expected_range(
    client: Client, office
) -> None:
    for n in range(1, 5):
        village("2025-06-10", Month(2022, 1), seed=n)
    fallen = village("2025-06-10", Month(2022, 1), after=0.2, seed=9)
    assert campaign_impacts_refresh() == 5
    impact = impact_of(fallen, office)
    assert impact.months_observed == 12 and not impact.so_far
    assert impact.observed is not None and impact.expected is not None and impact.lower_80 is not None
    assert impact.observed < impact.expected / 2
    assert impact.observed < impact.lower_80 and impact.outside == "below"
    client.force_login(office)
    row = row_of(client.get("/dashboard/villages/").content.decode(), fallen)
    expected = f"{impact.observed:.0f} offences against {impact.expected:.0f} expected (80%: "
    assert expected in row and "below the expected range" in row and "so far" not in row


def test_the_refresh_stores_a_run_and_every_villages_twelve_months_with_their_ranges() -> None:
    for n in range(4):
        village("2025-06-10", Month(2022, 1), seed=n)
    campaign_impacts_refresh()
    run = ForecastRun.objects.get(kind=ForecastKind.IMPACT)
    assert run.series == 4 and run.origin == datetime.date(2025, 6, 1)
    stored = CampaignImpact.objects.first()
    assert stored is not None and stored.run == run and stored.origin == datetime.date(2025, 6, 1)
    assert [m["period"] for m in stored.months] == [Month(2025, 6).plus(h).first_day.isoformat() for h in range(1, 13)]
    assert all(0 <= m["lower_80"] <= m["value"] <= m["upper_80"] for m in stored.months)
    assert [t["months"] for t in stored.totals] == list(range(1, 13))
    assert stored.totals[11]["value"] == pytest.approx(sum(m["value"] for m in stored.months), abs=0.05)
    # A refresh replaces the previous one; the earlier run stays as its record.
    campaign_impacts_refresh()
    assert CampaignImpact.objects.count() == 4 and ForecastRun.objects.filter(kind=ForecastKind.IMPACT).count() == 2


def test_a_village_without_two_years_of_figures_keeps_its_plain_before_and_after_labelled(
    client: Client, office
) -> None:
    for n in range(4):
        village("2025-06-10", Month(2022, 1), seed=n)
    short = village("2025-06-10", Month(2024, 6), seed=7)
    campaign_impacts_refresh()
    assert not CampaignImpact.objects.filter(campaign=short).exists()
    client.force_login(office)
    row = row_of(client.get("/dashboard/villages/").content.decode(), short)
    assert "before / after, no forecast: fewer than 24 months of figures" in row
    assert "expected" not in row
    lines = client.get("/dashboard/villages/?format=csv").content.decode().splitlines()
    assert lines[0].endswith("measured_at,months_observed,expected,expected_lower_80,expected_upper_80")
    plain = next(line for line in lines if line.startswith(short.region.kato + ","))
    assert plain.endswith(",12,,,")


def test_months_not_over_yet_are_shown_as_so_far(client: Client, office) -> None:
    for n in range(4):
        village("2025-06-10", Month(2022, 1), seed=n)
    recent = village("2026-05-20", Month(2022, 1), seed=8)
    campaign_impacts_refresh()
    impact = impact_of(recent, office)
    assert impact.months_observed == 6 and impact.so_far  # June to November 2026
    stored = CampaignImpact.objects.get(campaign=recent)
    assert impact.expected == Decimal(str(stored.totals[5]["value"])).quantize(Decimal("0.01"))
    client.force_login(office)
    row = row_of(client.get("/dashboard/villages/").content.decode(), recent)
    assert "so far: 6 of 12 months" in row
    line = next(
        r
        for r in client.get("/dashboard/villages/?format=csv").content.decode().splitlines()
        if r.startswith(recent.region.kato + ",")
    )
    assert f",6,{impact.expected:.0f}," in line


def test_the_overall_effect_is_the_villages_sums_with_a_range(client: Client, office) -> None:
    campaigns = [village("2025-06-10", Month(2022, 1), seed=n) for n in range(4)]
    campaigns.append(village("2025-06-10", Month(2022, 1), after=0.5, seed=5))
    campaign_impacts_refresh()
    register = alcohol_free_register(user=office, region=None, today=TODAY)
    shown = [v.impact for v in register.villages if v.impact is not None]
    overall = register.overall
    assert overall is not None and overall.villages == 5 and overall.village_months == 60 and not overall.so_far
    assert overall.observed == sum(i.observed for i in shown if i.observed is not None)
    assert overall.expected == sum(i.expected for i in shown if i.expected is not None)
    assert overall.lower_80 is not None and overall.upper_80 is not None
    assert overall.lower_80 < overall.expected < overall.upper_80
    client.force_login(office)
    page = client.get("/dashboard/villages/").content.decode()
    top = page.split('<p class="overall">')[1].split("</p>")[0]
    assert f"{overall.observed:.0f} offences against {overall.expected:.0f} expected (80%: " in top
    assert "5 villages, 60 village-months after their decisions" in top and "so far" not in top


def test_the_overall_range_is_the_quantile_of_the_villages_errors_added_origin_by_origin() -> None:
    # Two villages of the same size, their errors (in offences) at five backtest origins:
    # where one misses high the other misses low, so the sum's misses are small.
    a = VillageImpact("a", 12, Decimal(10), Decimal(20), None, None, weight=12.0, errors=[5, -4, 3, -6, 2])
    b = VillageImpact("b", 12, Decimal(15), Decimal(20), None, None, weight=12.0, errors=[-5, 4, -2, 6, -2])
    overall = overall_impact([a, b])
    assert overall is not None and overall.observed == 25 and overall.expected == 40
    sums = [0, 0, 1, 0, 0]
    half = conformal_quantile([s / 24 for s in sums], 0.8)
    assert half is not None and overall.upper_80 == Decimal(40) + Decimal(half * 24)
    # A village without an error at an origin: the others' sum there stands for the whole.
    c = VillageImpact("c", 12, Decimal(15), Decimal(20), None, None, weight=12.0, errors=[None, None, None, None, 9])
    widened = overall_impact([a, b, c])
    assert widened is not None and widened.upper_80 is not None and widened.upper_80 - 60 > overall.upper_80 - 40


def test_a_coordinator_sees_only_their_regions_villages_and_their_sums(client: Client, coordinator_almaty) -> None:
    astana = [village("2025-06-10", Month(2022, 1), seed=n) for n in range(3)]
    almaty = [village("2025-06-10", Month(2022, 1), seed=n, city="750000000") for n in range(10, 13)]
    campaign_impacts_refresh()
    register = alcohol_free_register(user=coordinator_almaty, region=None, today=TODAY)
    assert {v.campaign.pk for v in register.villages} == {c.pk for c in almaty}
    assert register.overall is not None and register.overall.villages == 3
    client.force_login(coordinator_almaty)
    lines = client.get("/dashboard/villages/?format=csv").content.decode().splitlines()
    assert len(lines) == 4 and not any(line.startswith(astana[0].region.kato) for line in lines)


IMPACT_BUDGET = 9  # as the register without forecasts: the impacts come with the villages


def test_the_villages_page_with_forecasts_keeps_a_fixed_query_budget(
    client: Client, office, assert_queries_do_not_grow
) -> None:
    stored_impact(village("2025-06-10", Month(2024, 1), seed=1))
    client.force_login(office)

    def add_rows() -> None:
        for n in range(5):
            stored_impact(village("2025-06-10", Month(2024, 1), seed=20 + n))

    assert_queries_do_not_grow(lambda: client.get("/dashboard/villages/"), add_rows, budget=IMPACT_BUDGET)
    assert client.get("/dashboard/villages/").content.decode().count('<td colspan="2" class="impact') == 6


def test_the_office_reads_the_stored_impacts_in_the_admin_and_a_coordinator_may_not(
    client: Client, office, coordinator_astana
) -> None:
    stored = [stored_impact(village("2025-06-10", Month(2024, 1), seed=n)) for n in range(2)]
    client.force_login(coordinator_astana)
    assert client.get("/admin/initiatives/campaignimpact/").status_code in (302, 403)
    client.force_login(office)
    listing = client.get("/admin/initiatives/campaignimpact/").content.decode()
    assert all(f"/admin/initiatives/campaignimpact/{i.pk}/change/" in listing for i in stored)
    assert client.post(f"/admin/initiatives/campaignimpact/{stored[0].pk}/delete/").status_code == 403


def test_a_village_whose_fit_fails_is_left_out_and_the_others_are_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    from initiatives.forecasts import impact

    campaigns = [village("2025-06-10", Month(2022, 1), seed=n) for n in range(4)]
    fit = impact._fit

    def failing(found: Any) -> Any:
        if found.campaign.pk == campaigns[0].pk:
            raise FloatingPointError("the model gave up")
        return fit(found)

    monkeypatch.setattr(impact, "_fit", failing)
    assert campaign_impacts_refresh() == 3
    assert set(CampaignImpact.objects.values_list("campaign", flat=True)) == {c.pk for c in campaigns[1:]}
