"""The API as README documents it (issue 23): every error comes as JSON, every list answers
CSV a row per record, a parameter an operation does not declare or a value its type
refuses is a 400, and the schema describes an agency's blank website so that strict
validators accept it."""

import csv
import datetime
import io
from typing import Any

import pytest
from jsonschema import Draft4Validator

from agencies.models import Agency, RegionalBranch
from initiatives.models import ImportBatch, Indicator
from regions.models import Region
from tests.factories import AgencyFactory, CampaignFactory, IndicatorFactory, RegionalBranchFactory, RegionFactory

pytestmark = pytest.mark.django_db


def json_404(response: Any) -> None:
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/nosuch/"),
        ("post", "/api/v1/releases/2/confirm/"),
        ("get", "/api/v1/campaigns/0.5/"),
        ("get", "/api/v1/releases/999/figures/?format=xlsx"),
        ("get", "/api/v1/releases/999/figures/?format=csv"),
        ("delete", "/api/v1/regions/710000000/nosuch/"),
    ],
)
def test_a_path_or_record_that_is_not_there_is_the_json_not_found(caller, method: str, url: str) -> None:
    json_404(getattr(caller("office"), method)(url))


def test_the_json_not_found_speaks_the_language_asked_for(caller) -> None:
    response = caller("anonymous").get("/api/v1/nosuch/?lang=ru")
    json_404(response)
    assert response.json()["error"]["message"] != "Not found."


def test_a_path_without_its_slash_is_still_sent_to_the_slashed_one(caller) -> None:
    response = caller("office").get("/api/v1/regions")
    assert response.status_code == 301 and response["Location"] == "/api/v1/regions/"


def test_a_dotted_id_that_exists_is_still_found(caller) -> None:
    assert caller("office").get("/api/v1/kpis/crime.registered/").json()["code"] == "crime.registered"


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return list(csv.DictReader(io.StringIO(text)))


def csv_header(response: Any) -> list[str]:
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    return next(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("resource", "key", "model"),
    [
        ("agencies", "code", Agency),
        ("branches", "id", RegionalBranch),
        ("kpis", "code", Indicator),
        ("regions", "kato", Region),
    ],
)
def test_every_list_answers_csv_a_row_per_record_with_the_json_fields_as_columns(
    caller, resource: str, key: str, model: Any
) -> None:
    client = caller("office")
    first = client.get(f"/api/v1/{resource}/").json()["results"][0]
    response = client.get(f"/api/v1/{resource}/?format=csv")
    assert csv_header(response) == list(first)
    rows = csv_rows(client.get(f"/api/v1/{resource}/?format=csv"))
    assert len(rows) == model.objects.count() > 1
    assert {row[key] for row in rows} >= {str(first[key])}


def test_the_imports_csv_spreads_a_nested_object_over_columns_and_keeps_them_without_rows(caller, office) -> None:
    client = caller("office")
    empty = client.get("/api/v1/imports/?format=csv")
    header = csv_header(empty)
    assert "progress_stage" in header and "progress_done" in header and "progress" not in header
    ImportBatch.objects.create(file_name="a.csv", uploaded_by=office)
    [row] = csv_rows(client.get("/api/v1/imports/?format=csv"))
    record = client.get("/api/v1/imports/").json()["results"][0]
    assert row["file_name"] == "a.csv" and row["progress_done"] == str(record["progress"]["done"])
    assert list(row) == header


def test_the_releases_list_answers_csv_a_row_per_release(caller) -> None:
    response = caller("anonymous").get("/api/v1/releases/?format=csv")
    assert csv_header(response)[:6] == ["id", "title", "title_kk", "title_ru", "title_en", "period"]
    assert csv_rows(caller("anonymous").get("/api/v1/releases/?format=csv")) == []


@pytest.mark.parametrize("resource", ["values", "regions"])
def test_a_value_the_schemas_type_refuses_is_a_400(caller, resource: str) -> None:
    response = caller("office").get(f"/api/v1/{resource}/?level=0.5")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["level"][0]["code"] == "not_a_whole_number"


def test_a_parameter_the_operation_does_not_declare_is_a_400(caller) -> None:
    response = caller("office").get("/api/v1/regions/?updated_since=2025-01-01T00:00:00Z")
    assert response.status_code == 400
    [error] = response.json()["error"]["fields"]["updated_since"]
    assert error["code"] == "unknown_parameter" and error["params"]["name"] == "updated_since"
    assert "level" in error["params"]["accepted"]


def test_lang_and_format_are_declared_first_on_every_operation_and_never_refused(caller) -> None:
    schema = caller("anonymous").get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            assert names[:2] == ["format", "lang"], (path, method)
    client = caller("office")
    assert client.get("/api/v1/regions/?lang=kk&format=json&level=1").status_code == 200
    assert client.get("/api/v1/kpis/crime.registered/?lang=en").status_code == 200


def test_a_parameter_check_leaves_the_portal_alone(client, coordinator_astana) -> None:
    client.force_login(coordinator_astana)
    assert client.get("/?nosuch=1").status_code == 200


def test_a_declared_filter_still_filters(caller) -> None:
    CampaignFactory()
    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)).isoformat()
    response = caller("office").get("/api/v1/campaigns/", {"updated_since": since})
    assert response.status_code == 200 and response.json()["count"] == 1


def test_an_agencys_blank_website_matches_exactly_one_branch_of_its_schema(caller) -> None:
    schema = caller("anonymous").get("/api/schema/?format=json").json()
    website = schema["components"]["schemas"]["Agency"]["properties"]["website"]
    branches = website.get("oneOf") or website.get("anyOf") or [website]
    for value, expected in [("", 1), ("https://qamqor.gov.kz", 1)]:
        matching = [
            b for b in branches if Draft4Validator(b, format_checker=Draft4Validator.FORMAT_CHECKER).is_valid(value)
        ]
        assert len(matching) == expected, (value, website)


def release_rows(count: int) -> None:
    from django.utils import timezone

    from initiatives.models import Release

    for i in range(count):
        Release.objects.create(
            title_en=f"r{i}",
            period="2025-09",
            period_start=datetime.date(2025, 9, 1),
            period_end=datetime.date(2025, 9, 1),
            moment=timezone.now(),
        )


@pytest.mark.parametrize(
    ("url", "add", "budget"),
    [
        ("/api/v1/agencies/", lambda: AgencyFactory.create_batch(30), 3),
        ("/api/v1/branches/", lambda: [RegionalBranchFactory(region=RegionFactory()) for _ in range(30)], 3),
        ("/api/v1/kpis/", lambda: IndicatorFactory.create_batch(30), 3),
        ("/api/v1/regions/", lambda: RegionFactory.create_batch(30), 3),
        ("/api/v1/imports/", lambda: [ImportBatch.objects.create(file_name=f"{i}.csv") for i in range(30)], 4),
        ("/api/v1/releases/", lambda: release_rows(30), 4),
    ],
)
def test_a_lists_csv_does_not_query_per_row(
    caller, assert_queries_do_not_grow, url: str, add: Any, budget: Any
) -> None:
    ImportBatch.objects.create(file_name="first.csv")
    release_rows(1)
    client = caller("office")
    assert_queries_do_not_grow(lambda: b"".join(client.get(f"{url}?format=csv").streaming_content), add, budget=budget)
