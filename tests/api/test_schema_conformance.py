"""The published OpenAPI schema is true: every operation in it, called by every role (the
anonymous, the office, a coordinator, a token with each scope), answers with a status the
schema lists, a content type it lists, and (for JSON) a body its schema accepts, checked
by schemathesis's own conformance checks and again by openapi-core's strict response
validation (which refuses, say, a value that matches two branches of a `oneOf`), not by
code of ours. Errors too: each list is
also asked with a filter value no record has, and the CSV forms of the lists are called.

A generated client trusts these answers; a field that is null where the schema says
"string", or a 403 the schema never mentions, is a crash on the client's side.
"""

import datetime
import io
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import schemathesis
import time_machine
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.deserializing.media_types.util import plain_loads
from openapi_core.exceptions import OpenAPIError
from requests.structures import CaseInsensitiveDict
from rest_framework.test import APIClient
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response

from agencies.models import RegionalBranch
from initiatives.models import Campaign, Export, ImportBatch, Indicator, Report, Value
from initiatives.periods import Period
from tests.conftest import token_for
from tests.factories import CampaignFactory, InitiativeFactory, ValueFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "office", "coordinator_astana", "token_kpi", "token_reports", "token_import"]
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]
IMPORT_FILE = b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n"
# A filter value no record has, per list: the 400 must be documented and in the error shape.
UNKNOWN_FILTER = {
    "/api/v1/regions/": {"parent": "999"},
    "/api/v1/agencies/": {"kind": "guild"},
    "/api/v1/branches/": {"agency__code": "nosuch"},
    "/api/v1/kpis/": {"unit": "parsec"},
    "/api/v1/initiatives/": {"lead_agency": "nosuch"},
    "/api/v1/campaigns/": {"initiative": "nosuch"},
    "/api/v1/values/": {"kpi": "crime.nosuch"},
    "/api/v1/reports/": {"agency": "nosuch"},
    "/api/v1/imports/": {"status": "lost"},
    "/api/v1/exports/": {"status": "lost"},
    "/api/v1/alerts/": {"kpi": "crime.nosuch"},
}


@pytest.fixture
def world(office, coordinator_astana) -> dict[str, Any]:
    """One record of every kind, with the nulls real records have (a region without a
    parent, a KPI without a formula, an import by a person, an export by a token)."""
    from initiatives.services.reports import report_approve, report_create, report_save, report_submit

    initiative = InitiativeFactory()
    campaign: Campaign = CampaignFactory(initiative=initiative)
    ValueFactory(kpi="crime.registered", period="2025-09", value=1300)
    ValueFactory(kpi="crime.registered", period="2025-08", value=1200, approved=False)
    batch = ImportBatch.objects.create(file_name="a.csv", uploaded_by=office)
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    events = Indicator.objects.get(code="events.legal_literacy")
    with time_machine.travel(datetime.datetime(2025, 10, 5, tzinfo=datetime.UTC)):
        report = report_create(branch=branch, kind="monthly", period=Period.parse("2025-09"), user=coordinator_astana)
        report = report_save(
            report=report, version=1, values={events: (Decimal(40), "")}, narrative="", user=coordinator_astana
        )
        report = report_submit(report=report, version=report.version, user=coordinator_astana)
        report_approve(report=report, user=office)
    # A release confirmed by a second member of the office: its figures are what the
    # releases' endpoints answer with.
    from django.contrib.auth.models import Group

    from agencies.roles import PROJECT_OFFICE_GROUP
    from initiatives.services.releases import release_confirm, release_publish
    from tests.factories import UserFactory

    second = UserFactory(username="office.second", is_staff=True)
    second.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    release = release_confirm(release=release_publish(period=Period.parse("2025-09"), user=office), user=second)
    # A finished forecast of the nation, Astana and Almaty: what the forecast endpoints read.
    from regions.models import Region
    from tests.factories import stored_forecast

    stored_forecast(
        Indicator.objects.get(code="crime.registered"),
        origin="2025-09",
        regions=list(Region.objects.filter(kato__in=["710000000", "750000000"])),
    )
    # An alert of Astana, with its chart, as detection stores it.
    from tests.factories import AlertFactory

    AlertFactory(month="2025-09")
    return {
        "release": release,
        "initiative": initiative,
        "campaign": campaign,
        "value": Value.objects.approved().get(indicator__code="crime.registered"),
        "batch": batch,
        "branch": branch,
        "report": Report.objects.get(),
    }


def client_for(who: str, people: dict[str, Any]) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    scopes = {"token_kpi": ["kpi:read"], "token_reports": ["reports:read"], "token_import": ["statistics:import"]}
    if who in people:
        client.force_login(people[who])
    elif who in scopes:
        agency = "kpssu" if who == "token_import" else "mvd"
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(scopes[who], agency=agency)}")
    return client


def as_schemathesis(response: Any, method: str, url: str) -> Response:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    headers: dict[str, list[str]] = {name: [value] for name, value in response.headers.items()}
    request = requests.Request(method.upper(), f"http://testserver{url}").prepare()
    return Response(
        status_code=response.status_code, headers=headers, content=content, request=request, elapsed=0, verify=True
    )


def openapi_core_violation(openapi: OpenAPI, answer: Response, method: str, url: str) -> str | None:
    """What openapi-core finds wrong with the answer, or None: the same answer read by a
    second, stricter validator."""
    response = requests.Response()
    response.status_code = answer.status_code
    response._content = answer.content
    response.headers = CaseInsensitiveDict({name: values[0] for name, values in answer.headers.items()})
    request = requests.Request(method.upper(), f"http://testserver{url}").prepare()
    try:
        openapi.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
    except OpenAPIError as error:
        causes = [str(error), *(str(e) for e in getattr(error.__cause__, "schema_errors", []) or [])]
        return "openapi-core: " + "; ".join(c.splitlines()[0] for c in causes if c)
    return None


def path_parameters(path: str, world: dict[str, Any], export_id: int) -> dict[str, Any]:
    ids = {
        "/api/v1/branches/{id}/": world["branch"].id,
        "/api/v1/campaigns/{id}/": world["campaign"].id,
        "/api/v1/values/{id}/": world["value"].id,
        "/api/v1/reports/{id}/": world["report"].id,
        "/api/v1/imports/{id}/": world["batch"].id,
        "/api/v1/exports/{id}/": export_id,
        "/api/v1/exports/{id}/download/": export_id,
        "/api/v1/releases/{id}/": world["release"].id,
        "/api/v1/releases/{id}/figures/": world["release"].id,
    }
    codes = {
        "/api/v1/kpis/{code}/": "crime.registered",
        "/api/v1/kpis/{code}/summary/": "crime.registered",
        "/api/v1/kpis/{code}/forecast/": "crime.registered",
        "/api/v1/kpis/{code}/forecast/runs/": "crime.registered",
        "/api/v1/initiatives/{code}/": world["initiative"].code,
        "/api/v1/agencies/{code}/": "gpo",
        "/api/v1/regions/{kato}/": "710000000",
    }
    if path in ids:
        return {"id": ids[path]}
    if path in codes:
        return {"code" if "{code}" in path else "kato": codes[path]}
    assert "{" not in path, f"no parameters for {path}: add them here"
    return {}


def queries(path: str, method: str, responses: dict[str, Any]) -> list[dict[str, str]]:
    """The query strings each operation is called with: plain, as CSV where the schema
    offers CSV, with an unknown filter value on lists, both summaries."""
    if method != "get":
        return [{}]
    if path.endswith("/summary/"):
        span = {"period_from": "2025-01", "period_to": "2025-09"}
        return [{**span, "region": "710000000"}, span, {**span, "format": "csv", "region": "710000000"}]
    if path.endswith("/forecast/"):
        astana = {"region": "710000000"}
        return [
            {},
            astana,
            {**astana, "origin": "2025-09"},
            {**astana, "format": "csv"},
            {"format": "csv", "tree": "1"},
        ]
    asked: list[dict[str, str]] = [{}]
    if any("text/csv" in r.get("content", {}) for r in responses.values()) and not path.endswith("/download/"):
        asked.append({"format": "csv"})
    if path in UNKNOWN_FILTER:
        asked.append(UNKNOWN_FILTER[path])
    return asked


def test_every_operation_answers_every_role_as_the_schema_says(office, coordinator_astana, world, in_process_tasks):
    anonymous = APIClient()
    raw = anonymous.get("/api/schema/?format=json").json()
    schema = schemathesis.openapi.from_dict(raw)
    # CSV is text to openapi-core as text/plain is (it would leave the bytes undecoded).
    openapi = OpenAPI.from_dict(raw, config=Config(extra_media_type_deserializers={"text/csv": plain_loads}))
    people = {"office": office, "coordinator_astana": coordinator_astana}
    api_paths = {p: ops for p, ops in raw["paths"].items() if p.startswith("/api/v1/")}
    called: set[tuple[str, str]] = set()
    violations: list[str] = []
    statuses: set[int] = set()
    for who in ROLES:
        client = client_for(who, people)
        # Every role asks for an export first; its own job is then read back (another's is 404).
        own = client.post("/api/v1/exports/", {"format": "csv"}, format="json")
        export_id = own.json()["id"] if own.status_code == 202 else Export.objects.create(format="csv").id
        for path, operations in api_paths.items():
            for method, operation in operations.items():
                if method not in {"get", "post", "put", "patch", "delete"}:
                    continue
                parameters = path_parameters(path, world, export_id)
                url_path = path.format(**parameters)
                for query in queries(path, method, operation["responses"]):
                    url = f"{url_path}?{urlencode(query)}" if query else url_path
                    if method == "post" and path == "/api/v1/imports/":
                        upload = io.BytesIO(IMPORT_FILE)
                        upload.name = "stats.csv"
                        response = client.post(url, {"file": upload, "dry_run": "true"}, format="multipart")
                    elif method == "post" and path == "/api/v1/exports/":
                        response = client.post(url, {"format": "csv", "kpi": "crime.registered"}, format="json")
                    else:
                        response = getattr(client, method)(url)
                    called.add((path, method))
                    statuses.add(response.status_code)
                    case = schema[path][method.upper()].Case(path_parameters=parameters, query=query)
                    answer = as_schemathesis(response, method, url)
                    try:
                        case.validate_response(answer, checks=CHECKS)
                    except (AssertionError, FailureGroup) as failure:  # collected, then all listed
                        detail = "; ".join(str(e).splitlines()[0] for e in getattr(failure, "exceptions", [failure]))
                        violations.append(f"{who} {method.upper()} {url} -> {response.status_code}: {detail}")
                    strict = openapi_core_violation(openapi, answer, method, url)
                    if strict is not None:
                        violations.append(f"{who} {method.upper()} {url} -> {response.status_code}: {strict}")
    assert not violations, "\n\n".join(violations)
    everything = {(p, m) for p, ops in api_paths.items() for m in ops if m in {"get", "post", "put", "patch", "delete"}}
    assert called == everything
    # The roles reached the answers that matter: success, bad input, no log-in, no scope, none of yours.
    assert {200, 202, 400, 401, 403, 404} <= statuses


def test_a_null_in_a_response_is_declared_nullable_in_the_schema(caller) -> None:
    components = caller("anonymous").get("/api/schema/?format=json").json()["components"]["schemas"]
    for component, field in [
        ("Region", "parent"),
        ("Agency", "parent"),
        ("Agency", "predecessor"),
        ("Indicator", "numerator"),
        ("Indicator", "denominator"),
        ("Export", "requested_by"),
        ("Export", "agency"),
        ("ImportBatch", "agency"),
        ("ImportBatch", "uploaded_by"),
    ]:
        assert components[component]["properties"][field].get("nullable") is True, (component, field)


def test_every_operation_documents_the_error_shape(caller) -> None:
    schema = caller("anonymous").get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "405", "429"):
                content = operation["responses"][status]["content"]
                assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}, (
                    path,
                    method,
                    status,
                )
