"""The values list, its CSV and the export worker write rows without a serializer (and, on
PostgreSQL, the CSV with the database's COPY). They must answer exactly what the
serializer wrote before, on generated data with the awkward cases in it."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from initiatives.api.serializers import ValueSerializer
from initiatives.models import ImportBatch, Indicator, Value
from initiatives.periods import Period
from initiatives.selectors.values import VALUE_COLUMNS, values_csv
from projectoffice.api_csv import csv_lines
from regions.models import Region

pytestmark = pytest.mark.django_db

SPANS = [
    "2025-09",  # a month
    "2024-12",
    "2025-Q1",
    "2025-Q4",
    "2025-H1",
    "2025-H2",
    "2025",
    "2025-01/2025-09",  # year to date
    "2024-11/2025-02",  # across a year's end
    "2025-02/2025-04",  # three months, not a quarter
    "2025-02/2025-07",  # six months, not a half
    "2024-07/2025-06",  # twelve months, not a year
    "2025-10/2025-12",  # a quarter written as a range is still a quarter
]
NUMBERS = [
    "0",
    "0.0001",
    "0.5",
    "1",
    "7.1000",
    "12345.6789",
    "98500",
    "99999999999.9999",  # 15 digits: as many as SQLite keeps (it stores a float)
    "1000000",
    "0.0100",
]
MOMENTS = [
    datetime.datetime(2025, 10, 15, 5, 0, tzinfo=datetime.UTC),  # 10:00 in Almaty
    datetime.datetime(2025, 12, 31, 20, 30, tzinfo=datetime.UTC),  # already next year in Almaty
    datetime.datetime(2026, 1, 20, 9, 0, 0, 123456, tzinfo=datetime.UTC),  # microseconds
    datetime.datetime(2026, 1, 20, 9, 0, 0, 100, tzinfo=datetime.UTC),  # a few microseconds
    datetime.datetime(2024, 2, 29, 23, 59, 59, tzinfo=datetime.UTC),  # Almaty was UTC+6 then
]


@pytest.fixture
def generated() -> list[int]:
    """Values over many KPIs, regions, spans, numbers and times (a formula KPI's too,
    which only a bulk write can leave behind); pending ones without an approval time."""
    rng = random.Random(13)
    numbers = [*NUMBERS, "9999999999999999.9999"] if connection.vendor == "postgresql" else NUMBERS  # the largest
    plain = list(Indicator.objects.filter(numerator__isnull=True).order_by("code")[:6])
    formula = Indicator.objects.filter(numerator__isnull=False).order_by("code").first()
    assert formula is not None
    regions = list(Region.objects.filter(kato__in=["710000000", "750000000", "790000000"]))
    batch = ImportBatch.objects.create(file_name="generated.csv")
    rows = []
    seen = set()
    for indicator in [*plain, formula]:
        for span in SPANS:
            region = rng.choice(regions)
            period = Period.parse(span)
            if (indicator.pk, region.pk, period) in seen:
                continue
            seen.add((indicator.pk, region.pk, period))
            approved = rng.random() < 0.8
            rows.append(
                Value(
                    indicator=indicator,
                    region=region,
                    period_start=period.first_day,
                    period_end=period.end.first_day,
                    value=Decimal(rng.choice(numbers)),
                    source=rng.choice(["import", "report", "manual"]),
                    approval_state="approved" if approved else "pending",
                    approved_at=rng.choice(MOMENTS) if approved else None,
                    import_batch=batch if rng.random() < 0.5 else None,
                )
            )
    created = Value.objects.bulk_create(rows)
    for value in created:  # updated_at is written by the model; set the awkward ones after
        Value.objects.filter(pk=value.pk).update(updated_at=rng.choice(MOMENTS))
    return [v.pk for v in created]


def old_rows() -> list[dict[str, object]]:
    """What the serializer wrote, row by row, before the fast path."""
    values = Value.objects.select_related("indicator", "region").order_by("id")
    return [ValueSerializer(v).data for v in values]


def old_csv() -> bytes:
    return "".join(csv_lines(list(VALUE_COLUMNS), old_rows())).encode()


@pytest.mark.parametrize("zone", ["Asia/Almaty", "UTC", "America/St_Johns"])
def test_the_values_list_answers_what_the_serializer_wrote(caller, generated, zone: str) -> None:  # type: ignore[no-untyped-def]
    client = caller("office")
    with timezone.override(zone):
        answer = client.get("/api/v1/values/?page_size=5000").json()["results"]
        assert answer == old_rows()
        assert len(answer) == len(generated)


@pytest.mark.parametrize("zone", ["Asia/Almaty", "UTC", "America/St_Johns"])
def test_the_values_csv_is_byte_for_byte_what_the_serializer_wrote(caller, generated, zone: str) -> None:  # type: ignore[no-untyped-def]
    client = caller("office")
    with timezone.override(zone):
        response = client.get("/api/v1/values/?format=csv")
        assert b"".join(response.streaming_content) == old_csv()


def test_a_filtered_csv_holds_the_rows_of_the_filtered_json(caller, generated) -> None:  # type: ignore[no-untyped-def]
    client = caller("token_kpi")  # approved values only
    query = "region=710000000&period_from=2025-01&approval_state=approved"
    rows = client.get(f"/api/v1/values/?{query}&page_size=5000").json()["results"]
    body = b"".join(client.get(f"/api/v1/values/?{query}&format=csv").streaming_content)
    assert body == "".join(csv_lines(list(VALUE_COLUMNS), rows)).encode()
    assert 0 < len(rows) < len(generated)


def test_a_limit_cuts_the_csv_at_that_many_rows(generated) -> None:  # type: ignore[no-untyped-def]
    body = b"".join(values_csv(Value.objects.all(), limit=3))
    assert body.count(b"\r\n") == 4 and body.count(b"\n") == 4  # the header and three rows


@pytest.mark.postgres
def test_on_postgresql_the_database_writes_the_csv(caller, generated, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert connection.vendor == "postgresql"
    expected = old_csv()

    def not_here(*args: object) -> None:
        raise AssertionError("rows formatted in Python on PostgreSQL")

    monkeypatch.setattr("initiatives.selectors.values._python_csv", not_here)
    body = b"".join(caller("office").get("/api/v1/values/?format=csv").streaming_content)
    assert body == expected
