"""The API's error contract: every bad input is a 4xx in one shape, with a stable code,
its params and a message in the caller's language (projectoffice/api_errors.py)."""

import base64

import pytest
from rest_framework.test import APIClient

from tests.factories import ValueFactory

pytestmark = pytest.mark.django_db

# (list, filter, value, code): a value no record has is refused, naming the filter.
UNKNOWN = [
    ("values", "kpi", "crime.nosuch", "unknown_kpi"),
    ("values", "region", "999", "unknown_region"),
    ("values", "approval_state", "maybe", "unknown_filter_value"),
    ("values", "source", "rumour", "unknown_filter_value"),
    ("values", "level", "top", "not_a_number"),
    ("values", "updated_since", "yesterday", "not_a_datetime"),
    ("values", "period_to", "soon", "not_a_period"),
    ("campaigns", "initiative", "nosuch", "unknown_initiative"),
    ("campaigns", "region", "999", "unknown_region"),
    ("campaigns", "kind", "picnic", "unknown_filter_value"),
    ("initiatives", "lead_agency", "nosuch", "unknown_agency"),
    ("initiatives", "status", "dreaming", "unknown_filter_value"),
    ("reports", "agency", "nosuch", "unknown_agency"),
    ("reports", "region", "999", "unknown_region"),
    ("reports", "period_to", "2025-13", "not_a_period"),
    ("regions", "parent", "999", "unknown_region"),
    ("regions", "within", "999999999", "unknown_region"),
    ("regions", "kind", "planet", "unknown_filter_value"),
    ("branches", "agency__code", "nosuch", "unknown_agency"),
    ("branches", "region__kato", "999", "unknown_region"),
    ("agencies", "kind", "guild", "unknown_filter_value"),
    ("kpis", "unit", "parsec", "unknown_filter_value"),
    ("imports", "status", "lost", "unknown_filter_value"),
    ("exports", "status", "lost", "unknown_filter_value"),
]


@pytest.mark.parametrize(("resource", "name", "value", "code"), UNKNOWN, ids=[f"{u[0]}-{u[1]}" for u in UNKNOWN])
def test_a_value_no_record_has_is_a_400_naming_the_filter(caller, resource: str, name: str, value: str, code: str):
    response = caller("office").get(f"/api/v1/{resource}/", {name: value})
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert (error["status"], error["code"], error["params"]) == (400, "invalid", {})
    [field] = error["fields"][name]
    assert field["code"] == code
    assert field["params"]["value"] == value
    assert error["message"].startswith(f"{name}: ")
    if code != "not_a_number" and code != "not_a_datetime":  # Django's own words do not repeat the input
        assert value in field["message"]


@pytest.mark.parametrize("resource", ["values", "campaigns", "reports", "regions", "branches", "initiatives"])
def test_a_filter_longer_than_any_code_is_refused(caller, resource: str) -> None:
    name = {"regions": "parent", "branches": "agency__code", "initiatives": "lead_agency"}.get(resource, "region")
    response = caller("office").get(f"/api/v1/{resource}/", {name: "7" * 100_000})
    assert response.status_code == 400
    assert response.json()["error"]["fields"][name][0]["code"] == "max_length"


def test_a_known_code_still_filters(caller) -> None:
    ValueFactory(kpi="crime.theft")
    ValueFactory(kpi="crime.fraud")
    rows = caller("office").get("/api/v1/values/", {"kpi": "crime.theft"}).json()["results"]
    assert [r["kpi"] for r in rows] == ["crime.theft"]


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor", ["cD1hYmM=", _cursor("p=1.5"), _cursor("o=x&p=1"), "not base64!", _cursor("p=abc&r=1")]
)
def test_a_tampered_cursor_is_a_400(caller, cursor: str) -> None:
    ValueFactory()
    response = caller("token_kpi").get("/api/v1/values/", {"cursor": cursor})
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["fields"]["cursor"][0]["code"] == "invalid_cursor"


def test_a_cursor_the_api_gave_still_pages(caller) -> None:
    for month in range(1, 4):
        ValueFactory(kpi="crime.theft", period=f"2025-0{month}")
    client = caller("token_kpi")
    first = client.get("/api/v1/values/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1


# --- methods ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "method", "url"),
    [
        ("token_kpi", "delete", "/api/v1/values/1/"),
        ("token_kpi", "delete", "/api/v1/values/"),
        ("token_kpi", "post", "/api/v1/values/"),
        ("token_reports", "delete", "/api/v1/values/1/"),
        ("token_kpi", "put", "/api/v1/regions/710000000/"),
        ("office", "delete", "/api/v1/exports/1/"),
        ("office", "delete", "/api/v1/imports/1/"),
        ("anonymous", "delete", "/api/v1/kpis/crime.theft/"),
        ("token_kpi", "post", "/api/v1/kpis/crime.theft/summary/"),
    ],
)
def test_a_method_the_endpoint_lacks_is_405_whatever_the_scopes(caller, who: str, method: str, url: str) -> None:
    response = getattr(caller(who), method)(url)
    assert response.status_code == 405, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "method_not_allowed"
    assert error["params"] == {"method": method.upper()}
    assert method.upper() not in response["Allow"]


def test_a_missing_scope_is_named_in_params(caller) -> None:
    error = caller("token_reports").get("/api/v1/values/").json()["error"]
    assert (error["status"], error["code"], error["params"]) == (403, "missing_scope", {"scope": "kpi:read"})


# --- pages -----------------------------------------------------------------------------

PAGED = ["regions", "agencies", "kpis"]  # lists with more than two rows in the reference data


@pytest.mark.parametrize("resource", PAGED)
def test_every_list_honours_page_size(caller, resource: str) -> None:
    body = caller("token_kpi").get(f"/api/v1/{resource}/", {"page_size": 2}).json()
    assert len(body["results"]) == 2
    assert "page_size=2" in body["next"]


@pytest.mark.parametrize(
    ("resource", "size", "code"),
    [
        ("regions", "1001", "page_size_out_of_range"),
        ("branches", "0", "page_size_out_of_range"),
        ("kpis", "ten", "not_a_whole_number"),
        ("values", "5001", "page_size_out_of_range"),
        ("values", "-1", "not_a_whole_number"),
    ],
)
def test_a_page_size_beyond_the_documented_maximum_is_a_400(caller, resource: str, size: str, code: str) -> None:
    response = caller("office").get(f"/api/v1/{resource}/", {"page_size": size})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["page_size"][0]["code"] == code


def test_the_schema_documents_the_page_size_maximum(caller) -> None:
    schema = caller("anonymous").get("/api/schema/?format=json").json()

    def page_size(path: str) -> dict:
        [param] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page_size"]
        return param["schema"]

    assert page_size("/api/v1/regions/")["maximum"] == 1000
    assert page_size("/api/v1/branches/")["maximum"] == 1000
    assert page_size("/api/v1/values/")["maximum"] == 5000


# --- language --------------------------------------------------------------------------

UNKNOWN_KPI = {
    "en": "unknown KPI code 'crime.nosuch'",
    "ru": "неизвестный код показателя 'crime.nosuch'",
    "kk": "белгісіз көрсеткіш коды 'crime.nosuch'",
}


def test_messages_are_russian_when_no_language_is_asked(settings, office) -> None:
    settings.LANGUAGE_CODE = "ru"  # the site's default (tests otherwise read English)
    client = APIClient()
    client.force_login(office)
    error = client.get("/api/v1/values/", {"kpi": "crime.nosuch"}).json()["error"]
    assert error["fields"]["kpi"][0]["message"] == UNKNOWN_KPI["ru"]
    assert error["fields"]["kpi"][0]["code"] == "unknown_kpi"


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_messages_follow_accept_language_and_codes_do_not(settings, office, language: str) -> None:
    settings.LANGUAGE_CODE = "ru"
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(office)
    error = client.get("/api/v1/values/", {"kpi": "crime.nosuch"}).json()["error"]
    assert error["fields"]["kpi"] == [
        {"code": "unknown_kpi", "params": {"value": "crime.nosuch"}, "message": UNKNOWN_KPI[language]}
    ]


def test_an_error_where_csv_was_asked_for_comes_as_json(caller) -> None:
    response = caller("office").get("/api/v1/values/", {"kpi": "crime.nosuch", "format": "csv"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["fields"]["kpi"][0]["code"] == "unknown_kpi"


@pytest.mark.parametrize(("resource", "name"), [("values", "kpi"), ("values", "region"), ("regions", "parent")])
def test_a_nul_character_in_a_filter_is_a_400_before_any_query(caller, resource: str, name: str) -> None:
    response = caller("office").get(f"/api/v1/{resource}/", {name: "crime\x00theft"})
    assert response.status_code == 400  # PostgreSQL refuses NUL in text: it must not reach a query
    assert response.json()["error"]["fields"][name][0]["code"] == "null_characters_not_allowed"
