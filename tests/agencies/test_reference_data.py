import pytest

from agencies.models import Agency


@pytest.mark.django_db
def test_the_agencies_of_the_concept_are_shipped_in_three_languages() -> None:
    codes = set(Agency.objects.values_list("code", flat=True))
    assert {
        "gpo",
        "kpssu",
        "mvd",
        "minjust",
        "minhealth",
        "minedu",
        "mci",
        "maidd",
        "anticorruption",
        "afm",
        "supreme_court",
        "akimats",
    } <= codes
    for agency in Agency.objects.all():
        assert agency.name_kk and agency.name_ru and agency.name_en, agency.code


@pytest.mark.django_db
def test_the_committee_is_part_of_the_prosecutors_office() -> None:
    assert Agency.objects.get(code="kpssu").parent == Agency.objects.get(code="gpo")


@pytest.mark.django_db
def test_a_reorganised_ministry_points_to_its_predecessor() -> None:
    ministry = Agency.objects.get(code="maidd")
    assert ministry.predecessor.code == "mdaiap"
    assert not ministry.predecessor.is_active
    assert list(Agency.objects.active().filter(code="mdaiap")) == []
