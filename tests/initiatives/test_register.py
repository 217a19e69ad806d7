"""Alcohol-free settlements: the campaign register is the KPI's one source of truth."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from initiatives.models import Campaign, Value
from initiatives.periods import Month
from initiatives.services.campaigns import campaign_advance_settlement
from initiatives.services.register import alcohol_free_values_sync
from tests.factories import CampaignFactory, RegionFactory, ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]


def village(stage: str, declared: str, **dates: str) -> Campaign:
    return CampaignFactory(
        kind="alcohol_free",
        region=RegionFactory(),  # under Astana
        settlement_stage=stage,
        declared_on=datetime.date.fromisoformat(declared),
        **{k: datetime.date.fromisoformat(v) for k, v in dates.items()},
    )


def count(kato: str, month: str) -> Decimal:
    start = datetime.date.fromisoformat(month + "-01")
    return Value.objects.get(
        indicator__code="settlements.alcohol_free", region__kato=kato, period_start=start, period_end=start
    ).value


def test_verified_and_sustained_villages_are_counted_at_each_months_end_and_lapsed_ones_stop() -> None:
    village("declared", "2026-03-01")
    village("verified", "2026-02-10", verified_on="2026-04-20")
    village("sustained", "2025-12-01", verified_on="2026-01-15", sustained_on="2026-06-01")
    village("lapsed", "2026-01-05", verified_on="2026-02-01", lapsed_on="2026-07-10")
    alcohol_free_values_sync()
    assert count("710000000", "2026-01") == 1
    assert count("710000000", "2026-04") == 3
    assert count("710000000", "2026-07") == 2  # the lapsed one no longer counts
    assert count("710000000", "2026-11") == 2  # to the last month that is over
    assert count("750000000", "2026-11") == 0  # a region with no village says 0, not nothing
    assert not Value.objects.filter(indicator__code="settlements.alcohol_free", period_start__gte="2026-12-01")


def test_a_typed_figure_gives_way_to_the_register() -> None:
    ValueFactory(kpi="settlements.alcohol_free", kato="710000000", period="2026-10", value=35, source="report")
    village("verified", "2026-02-10", verified_on="2026-04-20")
    alcohol_free_values_sync()
    assert count("710000000", "2026-10") == 1


def test_verifying_a_village_changes_the_dashboard_at_once(client: Client, office) -> None:
    declared = village("declared", "2026-03-01")
    alcohol_free_values_sync()
    client.force_login(office)
    url = "/dashboard/?kpi=settlements.alcohol_free&region=710000000&period=2026-11&format=csv"
    assert client.get(url).content.decode().splitlines()[1].split(",")[2] == "0"
    campaign_advance_settlement(campaign=declared, stage="verified", on_date=datetime.date(2026, 11, 3), user=office)
    assert client.get(url).content.decode().splitlines()[1].split(",")[2] == "1"


def test_the_dashboard_shows_the_declared_villages_beside_the_count(client: Client, office) -> None:
    village("declared", "2026-03-01")
    village("verified", "2026-02-10", verified_on="2026-04-20")
    alcohol_free_values_sync()
    client.force_login(office)
    page = client.get("/dashboard/?kpi=settlements.alcohol_free&region=710000000").content.decode()
    assert "Declared and not yet verified: <strong>1</strong>" in page
    assert "Per 10,000 population" not in page


def test_the_coordinators_report_no_longer_asks_for_the_number() -> None:
    from initiatives.selectors.portal import reported_kpis

    assert "settlements.alcohol_free" not in set(reported_kpis().values_list("code", flat=True))


def test_the_sync_writes_nothing_when_nothing_changed() -> None:
    village("verified", "2026-02-10", verified_on="2026-04-20")
    assert alcohol_free_values_sync() > 0
    assert alcohol_free_values_sync() == 0
    assert (
        Month(2026, 11).index - Month(2026, 2).index + 1
        == Value.objects.filter(indicator__code="settlements.alcohol_free", region__kato="710000000").count()
    )


def test_the_villages_page_lists_the_register_with_the_outcome_where_figures_exist(client: Client, office) -> None:
    measured = village("verified", "2025-06-10", verified_on="2025-08-01")
    unmeasured = village("declared", "2025-07-01")
    for n in range(12):
        ValueFactory(kpi="crime.registered", kato=measured.region.kato, period=str(Month(2024, 6).plus(n)), value=4)
        ValueFactory(kpi="crime.registered", kato=measured.region.kato, period=str(Month(2025, 7).plus(n)), value=1)
    client.force_login(office)
    page = client.get("/dashboard/villages/?region=710000000").content.decode()
    row = page.split(f'<tr data-kato="{measured.region.kato}">')[1].split("</tr>")[0]
    assert "48" in row and "12" in row and "\u221275.0%" in row  # a true minus on the page
    other = page.split(f'<tr data-kato="{unmeasured.region.kato}">')[1].split("</tr>")[0]
    assert "no settlement- or okrug-level offence figures" in other
    rows = client.get("/dashboard/villages/?format=csv").content.decode().splitlines()
    assert rows[0].startswith("kato,name,region,stage,declared_on,verified_on,sustained_on,lapsed_on,offences_before")
    assert any(r.startswith(f"{measured.region.kato},") and ",48,12," in r for r in rows)


def test_a_coordinator_sees_only_their_regions_villages(client: Client, coordinator_almaty) -> None:
    village("declared", "2025-07-01")  # in Astana
    client.force_login(coordinator_almaty)
    assert client.get("/dashboard/villages/?region=710000000").status_code == 404
    assert len(client.get("/dashboard/villages/?format=csv").content.decode().splitlines()) == 1


VILLAGES_BUDGET = 9  # whatever the number of villages: they, their offences and the regions in one query each


def test_the_villages_page_keeps_a_fixed_query_budget(client: Client, office, assert_queries_do_not_grow) -> None:
    village("verified", "2025-06-10", verified_on="2025-08-01")
    client.force_login(office)

    def add_rows() -> None:
        for n in range(5):
            village("declared", f"2026-0{n + 1}-01")

    assert_queries_do_not_grow(lambda: client.get("/dashboard/villages/"), add_rows, budget=VILLAGES_BUDGET)
