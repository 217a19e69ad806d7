"""Which KPIs add up to which is catalogue data (`part_of`, `parts_add_up`), read by
`kpi_relations()` for the public page's disclosure control and the import's warnings."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from initiatives.engine.disclosure import SECONDARY, SHOWN, suppress
from initiatives.models import Indicator
from initiatives.reference_data import indicator_rows
from initiatives.selectors.kpi_relations import kpi_relations

pytestmark = pytest.mark.django_db

GRAVITY = ("crime.especially_grave", "crime.grave", "crime.medium", "crime.minor")


def test_the_catalogue_loads_the_relations_of_form_1m() -> None:
    assert kpi_relations() == (
        ("crime.crimes", GRAVITY, True),
        ("crime.fraud", ("crime.internet_fraud",), False),
        ("crime.registered", ("crime.crimes", "crime.misdemeanours"), True),
    )
    rows = {row["code"]: row for row in indicator_rows()}
    assert rows["crime.misdemeanours"]["part_of"] == "crime.registered"
    assert (rows["crime.fraud"]["parts_add_up"], rows["crime.crimes"]["parts_add_up"]) == ("", "yes")


def test_one_query_reads_them(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(1):
        kpi_relations()


def test_a_kpi_cannot_be_a_part_of_itself_or_of_its_own_parts() -> None:
    registered = Indicator.objects.get(code="crime.registered")
    registered.part_of = registered
    with pytest.raises(ValidationError, match="part of itself"):
        registered.clean()
    registered.part_of = Indicator.objects.get(code="crime.minor")  # minor < crimes < registered
    with pytest.raises(ValidationError, match="part of itself"):
        registered.clean()
    theft = Indicator.objects.get(code="crime.theft")
    theft.part_of = registered
    theft.clean()  # a new part is fine


def test_the_admin_shows_and_edits_the_relation(client, office) -> None:  # type: ignore[no-untyped-def]
    client.force_login(office)
    theft = Indicator.objects.get(code="crime.theft")
    page = client.get(f"/admin/initiatives/indicator/{theft.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="part_of"' in text and 'name="parts_add_up"' in text


def cells(misdemeanours: int) -> dict[tuple[str, str, int, int], Decimal | None]:
    """Offences registered in one region and the nation, its two parts, one of them small."""
    figures = {"crime.registered": 100, "crime.misdemeanours": misdemeanours, "crime.crimes": 100 - misdemeanours}
    return {(code, kato, 0, 0): Decimal(n) for code, n in figures.items() for kato in ("", "710000000")}


def test_disclosure_withholds_by_the_catalogues_relations() -> None:
    def marks() -> dict[str, str]:
        outcome = suppress(cells(3), {}, threshold=5, regions=["710000000"], relations=kpi_relations())
        return {code: mark for (code, kato, _f, _l), mark in outcome.marks.items() if kato == "710000000"}

    # registered = misdemeanours + crimes: 3 withheld would be 100 - crimes, so crimes goes too.
    assert marks()["crime.crimes"] == SECONDARY
    Indicator.objects.filter(part_of__code="crime.registered").update(part_of=None)
    assert marks()["crime.crimes"] == SHOWN
