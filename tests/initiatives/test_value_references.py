"""A value's references (KPI, region, import, approving user) hold for every way of
writing, on PostgreSQL by statement triggers rather than row-by-row foreign keys."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from initiatives.models import Value
from initiatives.periods import Period
from regions.models import Region
from tests.factories import RegionFactory, ValueFactory

pytestmark = pytest.mark.django_db


def _insert_raw(**overrides: object) -> None:
    """A value written by hand-made SQL, past the ORM's checks."""
    template = ValueFactory(period=Period.parse("2025-03"))
    row = {
        "indicator_id": template.indicator_id,
        "region_id": template.region_id,
        "period_start": datetime.date(2025, 4, 1),
        "period_end": datetime.date(2025, 4, 1),
        "value": 1,
        "source": "manual",
        "approval_state": "pending",
        "comment": "",
        "created_at": template.created_at,
        "updated_at": template.updated_at,
    } | overrides
    columns = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO initiatives_value ({columns}) VALUES ({marks})", list(row.values()))  # noqa: S608


@pytest.mark.parametrize("column", ["region_id", "indicator_id", "import_batch_id", "approved_by_id"])
def test_a_value_cannot_refer_to_what_does_not_exist(column: str) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_raw(**{column: 987_654_321})
        if connection.vendor == "sqlite":  # SQLite checks its deferred foreign keys at commit
            connection.check_constraints(table_names=["initiatives_value"])


def test_a_region_with_values_cannot_be_deleted_even_by_raw_sql() -> None:
    value = ValueFactory(period=Period.parse("2025-03"))
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM regions_region WHERE id = %s", [value.region_id])
        if connection.vendor == "sqlite":
            connection.check_constraints(table_names=["initiatives_value"])
    assert Value.objects.filter(region_id=value.region_id).exists()


def test_a_bulk_update_moving_values_to_a_region_that_did_not_exist_is_refused() -> None:
    ValueFactory(period=Period.parse("2021-05"))
    ulytau = Region.objects.get(kato="620000000")  # from 2022-06-08
    with pytest.raises(IntegrityError, match="value_region_exists_in_period"), transaction.atomic():
        Value.objects.update(region=ulytau)


def test_a_bulk_update_within_the_rule_passes() -> None:
    village = RegionFactory(valid_to=datetime.date(2025, 12, 31))
    ValueFactory(period=Period.parse("2025-05"))
    assert Value.objects.update(region=village) == 1
