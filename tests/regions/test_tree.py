import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from regions.models import Region, RegionKind
from tests.factories import RegionFactory


@pytest.fixture
def akmola_tree(db: None) -> dict[str, Region]:
    """Akmola region > Arshaly district > Anar rural okrug > two villages; and Kokshetau."""
    akmola = Region.objects.get(kato="110000000")
    district = RegionFactory(kato="113200000", parent=akmola, kind=RegionKind.DISTRICT)
    okrug = RegionFactory(kato="113220000", parent=district, kind=RegionKind.RURAL_OKRUG)
    village_a = RegionFactory(kato="113220100", parent=okrug, kind=RegionKind.SETTLEMENT)
    village_b = RegionFactory(kato="113220200", parent=okrug, kind=RegionKind.SETTLEMENT)
    city = RegionFactory(kato="111000000", parent=akmola, kind=RegionKind.CITY)
    return {"akmola": akmola, "district": district, "okrug": okrug, "a": village_a, "b": village_b, "city": city}


def test_descendants_are_everything_below_at_any_depth(akmola_tree: dict[str, Region]) -> None:
    t = akmola_tree
    assert set(Region.objects.descendants_of(t["akmola"])) == {t["district"], t["okrug"], t["a"], t["b"], t["city"]}
    assert set(Region.objects.descendants_of(t["district"])) == {t["okrug"], t["a"], t["b"]}
    assert not Region.objects.descendants_of(t["a"]).exists()


def test_within_includes_the_unit_itself(akmola_tree: dict[str, Region]) -> None:
    t = akmola_tree
    assert set(Region.objects.within(t["okrug"])) == {t["okrug"], t["a"], t["b"]}


def test_descendants_do_not_leak_into_a_neighbouring_region(akmola_tree: dict[str, Region]) -> None:
    astana_district = RegionFactory(kato="711100000")
    assert astana_district not in Region.objects.descendants_of(akmola_tree["akmola"])


def test_children_are_the_direct_level_below(akmola_tree: dict[str, Region]) -> None:
    t = akmola_tree
    assert set(Region.objects.children_of(t["akmola"])) == {t["district"], t["city"]}


def test_ancestors_are_the_units_above(akmola_tree: dict[str, Region]) -> None:
    t = akmola_tree
    assert list(Region.objects.ancestors_of(t["a"])) == [t["akmola"], t["district"], t["okrug"]]


def test_level_is_derived_from_the_code_on_save(akmola_tree: dict[str, Region]) -> None:
    assert [akmola_tree[k].level for k in ("akmola", "district", "okrug", "a")] == [1, 2, 3, 4]


@pytest.mark.django_db
def test_the_database_refuses_a_lower_level_unit_without_a_parent() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(kato="713100000", kind=RegionKind.DISTRICT, name_kk="x", name_ru="x")


@pytest.mark.django_db
def test_the_database_refuses_a_validity_that_ends_before_it_starts() -> None:
    import datetime

    astana = Region.objects.get(kato="710000000")
    astana.valid_from, astana.valid_to = datetime.date(2025, 1, 1), datetime.date(2024, 1, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        astana.save()


@pytest.mark.django_db
def test_the_database_refuses_a_second_unit_with_the_same_iso_code() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        RegionFactory(kato="711100000", iso_3166_2="KZ-71")


@pytest.mark.django_db
def test_validation_refuses_a_parent_that_is_not_above_in_kato() -> None:
    region = Region(
        kato="713100000", parent=Region.objects.get(kato="750000000"), kind="district", name_kk="x", name_ru="x"
    )
    with pytest.raises(ValidationError) as info:
        region.full_clean()
    assert "750000000 is not above 713100000" in str(info.value)


@pytest.mark.django_db
def test_validation_refuses_a_malformed_code() -> None:
    region = Region(kato="71-000000", kind="city", name_kk="x", name_ru="x")
    with pytest.raises(ValidationError) as info:
        region.full_clean()
    assert "exactly 9 digits" in str(info.value)
