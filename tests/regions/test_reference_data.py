import pytest

from initiatives.reference_data import first_level_population
from regions.models import Region
from regions.reference_data import first_level_rows

# Written out by hand from the KATO classifier, so a change to the data file shows here.
FIRST_LEVEL = {
    "100000000": ("Abai Region", "Абай облысы", "область Абай"),
    "110000000": ("Akmola Region", "Ақмола облысы", "Акмолинская область"),
    "150000000": ("Aktobe Region", "Ақтөбе облысы", "Актюбинская область"),
    "190000000": ("Almaty Region", "Алматы облысы", "Алматинская область"),
    "230000000": ("Atyrau Region", "Атырау облысы", "Атырауская область"),
    "270000000": ("West Kazakhstan Region", "Батыс Қазақстан облысы", "Западно-Казахстанская область"),
    "310000000": ("Zhambyl Region", "Жамбыл облысы", "Жамбылская область"),
    "330000000": ("Jetisu Region", "Жетісу облысы", "область Жетісу"),
    "350000000": ("Karaganda Region", "Қарағанды облысы", "Карагандинская область"),
    "390000000": ("Kostanay Region", "Қостанай облысы", "Костанайская область"),
    "430000000": ("Kyzylorda Region", "Қызылорда облысы", "Кызылординская область"),
    "470000000": ("Mangystau Region", "Маңғыстау облысы", "Мангистауская область"),
    "550000000": ("Pavlodar Region", "Павлодар облысы", "Павлодарская область"),
    "590000000": ("North Kazakhstan Region", "Солтүстік Қазақстан облысы", "Северо-Казахстанская область"),
    "610000000": ("Turkistan Region", "Түркістан облысы", "Туркестанская область"),
    "620000000": ("Ulytau Region", "Ұлытау облысы", "область Ұлытау"),
    "630000000": ("East Kazakhstan Region", "Шығыс Қазақстан облысы", "Восточно-Казахстанская область"),
    "710000000": ("Astana", "Астана қаласы", "город Астана"),
    "750000000": ("Almaty", "Алматы қаласы", "город Алматы"),
    "790000000": ("Shymkent", "Шымкент қаласы", "город Шымкент"),
}


@pytest.mark.django_db
def test_the_database_holds_exactly_the_twenty_first_level_units() -> None:
    got = {r.kato: (r.name_en, r.name_kk, r.name_ru) for r in Region.objects.top_level()}
    assert got == FIRST_LEVEL


@pytest.mark.django_db
def test_the_three_republican_cities_are_cities_and_the_rest_oblasts() -> None:
    kinds = dict(Region.objects.top_level().values_list("kato", "kind"))
    assert {k for k, v in kinds.items() if v == "city"} == {"710000000", "750000000", "790000000"}
    assert sum(1 for v in kinds.values() if v == "region") == 17


def test_every_population_figure_names_its_date_and_source() -> None:
    for row in first_level_rows():
        if row["population"]:
            assert row["population_date"] and row["population_source"], row["kato"]
    # Read, for the population KPI's values, by initiatives (a region has no population).
    astana = first_level_population()["710000000"]
    assert astana.population == 1638233
    assert str(astana.counted_on) == "2026-01-01"


@pytest.mark.django_db
def test_the_regions_created_in_2022_say_so() -> None:
    created = Region.objects.filter(valid_from="2022-06-08").values_list("kato", flat=True)
    assert set(created) == {"100000000", "330000000", "620000000"}


@pytest.mark.django_db
def test_the_name_follows_the_active_language() -> None:
    from django.utils import translation

    astana = Region.objects.get(kato="710000000")
    with translation.override("kk"):
        assert str(astana) == "Астана қаласы"
    with translation.override("en"):
        assert str(astana) == "Astana"
    astana.name_en = ""
    with translation.override("en"):
        assert str(astana) == "город Астана"  # falls back to Russian
