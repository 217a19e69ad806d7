"""Regions, agencies and branches over the API, as a logged-in person reads them."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from initiatives.models import Indicator, ValueSource
from initiatives.periods import Period
from initiatives.services.values import value_set
from regions.models import Region, RegionKind
from tests.factories import RegionalBranchFactory, RegionFactory, ValueFactory

LISTS = ["/api/v1/regions/", "/api/v1/agencies/", "/api/v1/branches/"]


@pytest.mark.django_db
def test_the_api_root_lists_the_resources_to_anyone(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/")
    assert response.status_code == 200
    assert {"regions", "agencies", "branches"} <= set(response.json())


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*LISTS, "/api/v1/regions/710000000/", "/api/v1/agencies/gpo/"])
def test_an_anonymous_caller_is_refused(api_client: APIClient, url: str) -> None:
    response = api_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "error": {
            "status": 401,
            "code": "not_authenticated",
            "params": {},
            "message": "Authentication credentials were not provided.",
        }
    }


@pytest.mark.django_db
def test_a_region_is_looked_up_by_kato(api_client: APIClient, coordinator_almaty) -> None:
    api_client.force_login(coordinator_almaty)
    body = api_client.get("/api/v1/regions/710000000/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["kato"] == "710000000"
    assert body["name"] == "Astana"
    assert (body["name_kk"], body["name_ru"]) == ("Астана қаласы", "город Астана")
    assert body["level"] == 1 and body["parent"] is None and body["kind"] == "city"


@pytest.mark.django_db
def test_regions_filter_by_level_parent_kind_within_and_name(api_client: APIClient, office) -> None:
    api_client.force_login(office)
    akmola = Region.objects.get(kato="110000000")
    district = RegionFactory(kato="113200000", parent=akmola, kind=RegionKind.DISTRICT, name_ru="Аршалынский район")
    village = RegionFactory(kato="113200100", parent=district, kind=RegionKind.SETTLEMENT)

    def katos(query: str) -> list[str]:
        return [r["kato"] for r in api_client.get(f"/api/v1/regions/?{query}").json()["results"]]

    assert len(katos("level=1")) == 20
    assert katos("parent=110000000") == ["113200000"]
    assert katos("within=110000000") == ["110000000", "113200000", "113200100"]
    assert katos("kind=settlement") == [village.kato]
    assert katos("search=Аршалы") == ["113200000"]
    unknown = api_client.get("/api/v1/regions/?within=999999999").json()["error"]
    assert unknown["fields"]["within"][0]["code"] == "unknown_region"


@pytest.mark.django_db
def test_an_agency_is_looked_up_by_code(api_client: APIClient, office) -> None:
    api_client.force_login(office)
    body = api_client.get("/api/v1/agencies/kpssu/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert body["parent"] == "gpo"
    assert body["name"].startswith("Комитет по правовой статистике")


@pytest.mark.django_db
def test_branches_filter_by_agency_and_region(api_client: APIClient, office) -> None:
    api_client.force_login(office)
    branch = RegionalBranchFactory()
    body = api_client.get(f"/api/v1/branches/?agency__code={branch.agency.code}&region__kato=710000000").json()
    assert [b["id"] for b in body["results"]] == [branch.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_lists_do_not_query_per_row(api_client: APIClient, office, assert_queries_do_not_grow, url: str) -> None:
    api_client.force_login(office)
    RegionalBranchFactory()  # one row to start with, so the page is not empty

    def add_rows() -> None:
        for _ in range(30):
            RegionalBranchFactory(region=RegionFactory())

    assert_queries_do_not_grow(lambda: api_client.get(url).json(), add_rows, budget=4)


def population_set(kato: str, period: str, value: int, *, approved: bool = True) -> None:
    value_set(
        indicator=Indicator.objects.get(code="population"),
        region=Region.objects.get(kato=kato),
        period=Period.parse(period),
        value=Decimal(value),
        source=ValueSource.MANUAL,
        user=None,
        approved=approved,
    )


@pytest.mark.django_db
def test_a_regions_population_is_its_latest_approved_population_value(api_client: APIClient, office) -> None:
    api_client.force_login(office)

    def population() -> tuple[object, object]:
        body = api_client.get("/api/v1/regions/710000000/").json()
        return body["population"], body["population_as_of"]

    assert population() == (None, None)  # no value of the population KPI yet

    population_set("710000000", "2024", 1_600_000)  # counted on 1 January 2025
    assert population() == (1600000, "2025-01-01")

    population_set("710000000", "2025", 1_638_233)  # counted on 1 January 2026
    assert population() == (1638233, "2026-01-01")

    population_set("710000000", "2025", 1_640_000)  # corrected through the value service
    assert population() == (1640000, "2026-01-01")

    population_set("710000000", "2025-11", 1_650_000, approved=False)  # awaiting approval: not yet
    assert population() == (1640000, "2026-01-01")


@pytest.mark.django_db
def test_the_regions_list_reads_population_without_a_query_per_row(
    api_client: APIClient, office, assert_queries_do_not_grow
) -> None:
    api_client.force_login(office)
    population_set("710000000", "2025", 1_638_233)

    def add_rows() -> None:
        for _ in range(30):
            region = RegionFactory()
            ValueFactory(kpi="population", kato=region.kato, period="2025", value=1000)

    # As test_lists_do_not_query_per_row pins the list: population costs no query of its own.
    assert_queries_do_not_grow(lambda: api_client.get("/api/v1/regions/").json(), add_rows, budget=4)
    csv = api_client.get("/api/v1/regions/?format=csv")
    rows = b"".join(csv.streaming_content).decode().splitlines()
    assert rows[0].split(",")[9:11] == ["population", "population_as_of"]
    assert any(row.startswith("710000000,") and ",1638233,2026-01-01," in row for row in rows)


def test_the_regions_population_fields_keep_their_schema_in_every_language() -> None:
    from django.utils import translation

    from projectoffice.api_schema import built_schema

    with translation.override("ru"):
        region = built_schema()["components"]["schemas"]["Region"]["properties"]
    assert region["population"]["title"] == "Численность населения"  # as the former column's
    assert region["population"]["nullable"] and region["population"]["minimum"] == 0
    assert region["population_as_of"] == {
        "type": "string",
        "format": "date",
        "nullable": True,
        "title": "Численность населения на дату",
    }
