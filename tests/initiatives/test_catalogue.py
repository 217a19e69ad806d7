from decimal import Decimal

import pytest

from initiatives.models import Indicator

BRIEF_CODES = {
    "crime.registered",
    "crime.misdemeanours",
    "crime.crimes",
    "crime.minor",
    "crime.medium",
    "crime.grave",
    "crime.especially_grave",
    "crime.theft",
    "crime.fraud",
    "crime.internet_fraud",
    "crime.robbery",
    "crime.brigandage",
    "crime.hooliganism",
    "crime.murder",
    "population",
    "crime.registered_per_10k",
    "cases.electronic_share",
}


@pytest.mark.django_db
def test_the_catalogue_ships_every_code_of_the_brief_named_in_three_languages() -> None:
    catalogue = {i.code: i for i in Indicator.objects.all()}
    assert BRIEF_CODES <= set(catalogue)
    for indicator in catalogue.values():
        assert indicator.name_kk and indicator.name_ru and indicator.name_en, indicator.code


@pytest.mark.django_db
def test_the_rate_per_10k_is_a_formula_of_registered_offences_over_population() -> None:
    rate = Indicator.objects.select_related("numerator", "denominator").get(code="crime.registered_per_10k")
    assert (rate.numerator.code, rate.denominator.code, rate.factor) == (
        "crime.registered",
        "population",
        Decimal(10000),
    )
    assert (rate.source, rate.aggregation_time, rate.aggregation_regions) == ("computed", "recompute", "recompute")


@pytest.mark.django_db
def test_flows_add_up_over_time_and_stocks_take_the_last_value() -> None:
    rules = dict(Indicator.objects.values_list("code", "aggregation_time"))
    assert rules["crime.registered"] == "sum"
    assert rules["population"] == "last"
    assert rules["settlements.alcohol_free"] == "last"


@pytest.mark.django_db
def test_crime_is_better_lower_and_electronic_investigation_higher() -> None:
    directions = dict(Indicator.objects.values_list("code", "direction"))
    assert all(directions[c] == "lower" for c in BRIEF_CODES if c.startswith("crime."))
    assert directions["cases.electronic_share"] == "higher"


@pytest.mark.django_db
def test_kazakh_names_are_kazakh_not_copies_of_the_russian() -> None:
    for code, kk, ru in Indicator.objects.values_list("code", "name_kk", "name_ru"):
        assert kk != ru, code
    kazakh = "".join(Indicator.objects.values_list("name_kk", flat=True))
    assert set("ғқңөұүі") <= set(kazakh.lower())
