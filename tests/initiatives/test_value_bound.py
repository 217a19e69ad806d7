"""A KPI value is at most 999,999,999,999.9999 wherever it is written (the import, the value
service, the admin, the portal), refused in words beyond that; whatever such values add up
to, a release can freeze it; a spreadsheet's number is read as the person typed it."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from openpyxl import Workbook
from simple_history.utils import bulk_create_with_history

from agencies.models import RegionalBranch
from agencies.roles import PROJECT_OFFICE_GROUP
from initiatives.models import Indicator, ReleaseFigure, Value, ValueSource
from initiatives.periods import Period
from initiatives.services.releases import release_confirm, release_publish
from initiatives.services.reports import report_create
from initiatives.services.values import value_set
from initiatives.statistics.services import StatisticsImportError, statistics_import
from initiatives.value_bound import MAX_VALUE
from regions.models import Region
from tests.factories import UserFactory, value

pytestmark = pytest.mark.django_db

AT_THE_BOUND = "999999999999.9999"
ABOVE = "1000000000000"
SIXTEEN_DIGITS = "1234567890123456"


def refused(content: bytes, filename: str = "1m.csv") -> list[tuple[int, str, str, dict[str, object]]]:
    with pytest.raises(StatisticsImportError) as info:
        statistics_import(source=io.BytesIO(content), filename=filename)
    return [(e.line, e.column, e.code, dict(e.params)) for e in info.value.errors]


def test_the_import_takes_a_value_at_the_bound_and_refuses_one_above_it_in_words() -> None:
    statistics_import(
        source=io.BytesIO(f"region,period,indicator,value\n710000000,2025-09,population,{AT_THE_BOUND[:12]}\n".encode())
    )
    assert Value.objects.get().value == Decimal(AT_THE_BOUND[:12])

    for text in (ABOVE, SIXTEEN_DIGITS):
        content = f"region,period,indicator,value\n710000000,2025-08,population,{text}\n".encode()
        with pytest.raises(StatisticsImportError) as info:
            statistics_import(source=io.BytesIO(content))
        [error] = info.value.errors
        assert (error.line, error.column, error.code) == (2, "value", "value_too_large")
        assert dict(error.params) == {"value": text, "max": AT_THE_BOUND}
        assert error.message == f"{text} is too large: a value is at most {AT_THE_BOUND}"


def test_the_value_service_refuses_a_value_above_the_bound() -> None:
    kpi = Indicator.objects.get(code="population")
    astana = Region.objects.get(kato="710000000")
    with pytest.raises(ValidationError) as info:
        value_set(
            indicator=kpi,
            region=astana,
            period=Period.parse("2025-09"),
            value=Decimal(ABOVE),
            source=ValueSource.MANUAL,
            user=None,
        )
    assert info.value.error_dict["value"][0].code == "value_too_large"
    assert not Value.objects.exists()
    kept = value_set(
        indicator=kpi,
        region=astana,
        period=Period.parse("2025-09"),
        value=MAX_VALUE,
        source=ValueSource.MANUAL,
        user=None,
    )
    assert kept.value == MAX_VALUE


def test_the_admin_refuses_a_value_above_the_bound_in_words(client: Client, office) -> None:
    client.force_login(office)
    response = client.post(
        "/admin/initiatives/value/add/",
        {
            "indicator": Indicator.objects.get(code="population").pk,
            "region": Region.objects.get(kato="710000000").pk,
            "period": "2025",
            "value": SIXTEEN_DIGITS,
            "source": "manual",
            "comment": "",
        },
    )
    assert response.status_code == 200
    assert f"{SIXTEEN_DIGITS} is too large: a value is at most {AT_THE_BOUND}" in response.content.decode()
    assert not Value.objects.exists()


def test_the_portal_refuses_a_value_above_the_bound_in_words(client: Client, coordinator_astana) -> None:
    kpi = Indicator.objects.get(code="events.legal_literacy")
    with time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC), tick=True):
        branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
        report = report_create(branch=branch, kind="monthly", period=Period.parse("2026-10"), user=coordinator_astana)
        client.force_login(coordinator_astana)
        response = client.post(
            f"/reports/{report.pk}/",
            {"version": str(report.version), f"value_{kpi.pk}": SIXTEEN_DIGITS, "narrative": "", "action": "save"},
        )
    assert response.status_code == 400
    assert f"{SIXTEEN_DIGITS} is too large: a value is at most {AT_THE_BOUND}" in response.content.decode()
    assert not report.lines.exists()


def xlsx(*values: object, kpi: str = "population") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["region", "period", "indicator", "value"])
    for month, number in enumerate(values, start=1):
        sheet.append([710000000, f"2025-{month:02}", kpi, number])
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def test_an_xlsx_number_is_read_as_the_shortest_decimal_of_its_float_and_checked_like_csv_text() -> None:
    # 1e23 is the float 99999999999999991611392: the person typed 1 and 23 zeros. 1e-05
    # is 0.00001, five decimals, not a malformed number.
    assert refused(xlsx(1e23, 1e-05, 2.0**53 + 2), filename="1m.xlsx") == [
        (2, "value", "value_too_large", {"value": "1" + "0" * 23, "max": AT_THE_BOUND}),
        (3, "value", "too_many_decimals", {"value": "0.00001", "places": 4}),
        (4, "value", "value_too_large", {"value": "9007199254740994", "max": AT_THE_BOUND}),
    ]


def test_an_xlsx_number_within_the_bound_lands_as_typed() -> None:
    statistics_import(
        source=io.BytesIO(xlsx(999999999999.0, 92.5, 0.1 + 0.2 - 0.00000000000000004, kpi="cases.electronic_share")),
        filename="1m.xlsx",
    )
    assert sorted(Value.objects.values_list("value", flat=True)) == [
        Decimal("0.3"),
        Decimal("92.5"),
        Decimal(999999999999),
    ]


@pytest.mark.postgres
def test_a_period_whose_values_are_at_the_bound_nationally_is_published() -> None:
    """20 regions at 999,999,999,999 with one person each, and 1 a year before: the
    national sum, its rate per 10,000 and its change in % all fit the release's columns."""
    office = UserFactory(username="office.first", is_staff=True)
    second = UserFactory(username="office.second", is_staff=True)
    for person in (office, second):
        person.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    regions = list(Region.objects.filter(level=1))
    assert len(regions) == 20
    now, before = Period.parse("2026-01"), Period.parse("2025-01")
    rows = [value("crime.registered", r, now, 999_999_999_999) for r in regions]
    rows += [value("crime.registered", r, before, 1) for r in regions]
    rows += [value("population", r, p, 1) for r in regions for p in (now, before)]
    moment = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    bulk_create_with_history(rows, Value, default_date=moment - datetime.timedelta(days=1))

    with time_machine.travel(moment, tick=True):
        release = release_confirm(release=release_publish(period=now, user=office), user=second)

    national = ReleaseFigure.objects.get(release=release, indicator__code="crime.registered", region=None)
    assert national.value == 20 * 999_999_999_999
    assert national.rate_per_10k == Decimal(999_999_999_999 * 10_000)
    assert national.change_percent == Decimal("99999999999800.0")
