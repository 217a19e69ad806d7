"""Each invariant of the domain is held by the database itself, not only by forms."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from initiatives.models import Campaign, Indicator, Target, Value
from initiatives.periods import Period
from regions.models import Region
from tests.factories import CampaignFactory, IndicatorFactory, InitiativeFactory, RegionFactory, ValueFactory

pytestmark = pytest.mark.django_db


def test_one_value_per_kpi_region_and_period() -> None:
    first = ValueFactory(period=Period.parse("2025-Q3"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ValueFactory(indicator=first.indicator, period=Period.parse("2025-Q3"))
    # The same KPI and region for another span is a different value.
    ValueFactory(indicator=first.indicator, period=Period.parse("2025-07/2025-09").shifted(1))


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ValueFactory(period_start=datetime.date(2025, 9, 1), period_end=datetime.date(2025, 8, 1))


def test_a_period_is_made_of_whole_months() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ValueFactory(period_start=datetime.date(2025, 9, 15), period_end=datetime.date(2025, 9, 15))


def test_a_value_cannot_be_negative() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ValueFactory(value=Decimal(-1))


def test_an_approved_value_says_when() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ValueFactory(approval_state="approved", approved_at=None)


def test_a_value_cannot_be_recorded_before_its_region_existed() -> None:
    abai = Region.objects.get(kato="100000000")  # created on 2022-06-08
    with pytest.raises(IntegrityError, match="value_region_exists_in_period"), transaction.atomic():
        ValueFactory(region=abai, period=Period.parse("2022-05"))
    ValueFactory(region=abai, period=Period.parse("2022-06"))  # it existed for part of June


def test_a_value_cannot_be_recorded_after_its_region_ceased() -> None:
    village = RegionFactory(valid_to=datetime.date(2024, 12, 31))
    with pytest.raises(IntegrityError, match="value_region_exists_in_period"), transaction.atomic():
        ValueFactory(region=village, period=Period.parse("2025-01"))
    ValueFactory(region=village, period=Period.parse("2024-12"))


def test_a_regions_validity_cannot_be_narrowed_to_strand_its_values() -> None:
    village = RegionFactory()
    ValueFactory(region=village, period=Period.parse("2025-03"))
    village.valid_to = datetime.date(2025, 2, 28)
    with pytest.raises(IntegrityError, match="value_region_exists_in_period"), transaction.atomic():
        village.save()


def test_a_value_moved_to_a_region_that_did_not_exist_is_refused() -> None:
    value = ValueFactory(period=Period.parse("2021-05"))
    value.region = Region.objects.get(kato="620000000")  # Ulytau, from 2022-06-08
    with pytest.raises(IntegrityError, match="value_region_exists_in_period"), transaction.atomic():
        value.save()


def test_targets_are_unique_per_kpi_region_and_year() -> None:
    indicator = IndicatorFactory()
    astana = Region.objects.get(kato="710000000")
    Target.objects.create(indicator=indicator, region=astana, year=2026, target_value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator=indicator, region=astana, year=2026, target_value=2)
    Target.objects.create(indicator=indicator, region=astana, year=2027, target_value=2)


def test_there_is_one_national_target_per_kpi_and_year() -> None:
    indicator = IndicatorFactory()
    Target.objects.create(indicator=indicator, region=None, year=2026, target_value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator=indicator, region=None, year=2026, target_value=2)


def test_a_baseline_cannot_come_after_its_target_year() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator=IndicatorFactory(), year=2026, baseline_value=1, baseline_year=2027)


def test_a_target_row_holds_a_target_or_a_baseline() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator=IndicatorFactory(), year=2026)


def test_a_formula_is_complete_or_absent() -> None:
    registered = Indicator.objects.get(code="crime.registered")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFactory(source="computed", numerator=registered, denominator=None, factor=Decimal(10))


def test_a_computed_kpi_has_a_formula_and_only_it() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFactory(source="computed")
    registered = Indicator.objects.get(code="crime.registered")
    population = Indicator.objects.get(code="population")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFactory(source="statistics", numerator=registered, denominator=population, factor=Decimal(1))


def test_only_alcohol_free_campaigns_have_a_settlement_stage() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(kind="legal_literacy", settlement_stage="declared", declared_on=datetime.date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(kind="alcohol_free", settlement_stage="")


def test_an_alcohol_free_settlement_is_declared_on_a_date() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(kind="alcohol_free", settlement_stage="declared", declared_on=None)


def test_settlement_stages_come_in_date_order() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(
            kind="alcohol_free",
            settlement_stage="verified",
            declared_on=datetime.date(2025, 5, 1),
            verified_on=datetime.date(2025, 4, 1),
        )


@pytest.mark.parametrize(
    "dates",
    [
        {"settlement_stage": "sustained", "verified_on": "2025-06-01", "sustained_on": "2025-05-01"},
        {"settlement_stage": "lapsed", "lapsed_on": "2025-04-01"},
    ],
)
def test_later_stages_cannot_predate_earlier_ones(dates: dict[str, str]) -> None:
    fields = {k: datetime.date.fromisoformat(v) if k.endswith("_on") else v for k, v in dates.items()}
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(kind="alcohol_free", declared_on=datetime.date(2025, 5, 1), **fields)


def test_a_target_year_is_plausible() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(indicator=IndicatorFactory(), year=1900, target_value=1)


def test_a_formula_factor_is_positive() -> None:
    registered = Indicator.objects.get(code="crime.registered")
    population = Indicator.objects.get(code="population")
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorFactory(source="computed", numerator=registered, denominator=population, factor=Decimal(0))


@pytest.mark.parametrize("model", ["initiative", "campaign"])
def test_nothing_ends_before_it_starts(model: str) -> None:
    factory = InitiativeFactory if model == "initiative" else CampaignFactory
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(start_date=datetime.date(2025, 5, 1), end_date=datetime.date(2025, 4, 1))


def test_every_constraint_of_the_domain_has_a_test_here() -> None:
    # Fails when a constraint is added or renamed: give it a test above, then list it.
    names = {c.name for m in (Value, Target, Indicator, Campaign) for c in m._meta.constraints}
    assert names == {
        "value_one_per_kpi_region_period",
        "value_period_in_order",
        "value_period_whole_months",
        "value_not_negative",
        "value_approved_has_a_time",
        "target_unique_per_kpi_region_year",
        "target_unique_national_per_kpi_year",
        "target_year_plausible",
        "target_baseline_not_after_year",
        "target_has_a_target_or_a_baseline",
        "indicator_formula_complete_or_absent",
        "indicator_computed_iff_formula",
        "indicator_factor_positive",
        "campaign_starts_before_it_ends",
        "campaign_stage_iff_alcohol_free",
        "campaign_verified_after_declared",
        "campaign_sustained_after_verified",
        "campaign_lapsed_after_declared",
    }
