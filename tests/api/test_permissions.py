"""The permission matrix of brief section 6, endpoint by endpoint, caller by caller."""

import io

import pytest

from initiatives.models import Value
from tests.factories import ValueFactory

PEOPLE = ["office", "coordinator_astana", "coordinator_almaty"]
TOKENS_BAD = ["token_expired", "token_revoked", "token_garbage"]

REFERENCE = ["/api/v1/regions/", "/api/v1/agencies/", "/api/v1/branches/", "/api/v1/kpis/", "/api/v1/initiatives/"]
SUMMARY_ASTANA = "/api/v1/kpis/crime.registered/summary/?region=710000000&period_from=2025-09"
SUMMARY_NATIONAL = "/api/v1/kpis/crime.registered/summary/?period_from=2025-09"

EVERYONE_KNOWN = {
    "anonymous": 401,
    "token_kpi": 200,
    "token_reports": 200,
    "token_import": 200,
    **dict.fromkeys(PEOPLE, 200),
}
KPI_READERS = {
    "anonymous": 401,
    "token_kpi": 200,
    "token_reports": 403,
    "token_import": 403,
    **dict.fromkeys(PEOPLE, 200),
}
# (url, {caller: expected status})
MATRIX = [
    *[(url, EVERYONE_KNOWN) for url in REFERENCE],
    ("/api/v1/values/", KPI_READERS),
    ("/api/v1/campaigns/", KPI_READERS),
    ("/api/v1/reports/", {"anonymous": 401, "token_kpi": 403, "token_reports": 200, "token_import": 403, **dict.fromkeys(PEOPLE, 200)}),
    (SUMMARY_ASTANA, {"anonymous": 401, "token_kpi": 200, "token_reports": 403, "token_import": 403, "office": 200,
                      "coordinator_astana": 200, "coordinator_almaty": 404}),
    (SUMMARY_NATIONAL, {"anonymous": 401, "token_kpi": 200, "token_reports": 403, "token_import": 403, "office": 200,
                        "coordinator_astana": 403, "coordinator_almaty": 403}),
    ("/api/v1/imports/", {"anonymous": 401, "token_kpi": 403, "token_reports": 403, "token_import": 200, "office": 200,
                          "coordinator_astana": 403, "coordinator_almaty": 403}),
    ("/api/v1/exports/", KPI_READERS),
    ("/api/v1/alerts/", KPI_READERS),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
@pytest.mark.parametrize("who", ["anonymous", *PEOPLE, "token_kpi", "token_reports", "token_import", *TOKENS_BAD])
def test_who_may_read_what(caller, who: str, url: str, expected: dict[str, int]) -> None:
    response = caller(who).get(url)
    want = 401 if who in TOKENS_BAD else expected[who]
    assert response.status_code == want, response.content[:300]
    if want >= 400:
        assert set(response.json()["error"]) >= {"status", "code", "message"}


IMPORT_FILE = b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("office", 202),
        ("token_import", 202),
        ("token_kpi", 403),
        ("token_reports", 403),
        ("coordinator_astana", 403),
        ("anonymous", 401),
        ("token_expired", 401),
        ("token_revoked", 401),
    ],
)
def test_who_may_push_legal_statistics(
    caller, in_process_tasks, django_capture_on_commit_callbacks, who: str, status: int
) -> None:
    upload = io.BytesIO(IMPORT_FILE)
    upload.name = "stats.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = caller(who).post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert response.status_code == status, response.content[:300]
    assert Value.objects.exists() == (status == 202)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("url", ["/api/v1/regions/710000000/", "/api/v1/kpis/crime.registered/", "/api/v1/values/"])
def test_nobody_writes_reference_data_or_values_through_the_api(caller, method: str, url: str) -> None:
    for who in ("office", "token_kpi", "token_import"):
        response = getattr(caller(who), method)(url, {})
        assert response.status_code in (403, 405), (who, response.status_code)


@pytest.fixture
def values_in_two_cities(db: None) -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1300)
    ValueFactory(kpi="crime.registered", kato="750000000", period="2025-09", value=2100)
    ValueFactory(kpi="crime.registered", kato="750000000", period="2025-08", value=1999, approved=False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("office", {("710000000", "approved"), ("750000000", "approved"), ("750000000", "pending")}),
        ("coordinator_astana", {("710000000", "approved")}),
        ("coordinator_almaty", {("750000000", "approved")}),
        ("token_kpi", {("710000000", "approved"), ("750000000", "approved")}),
    ],
)
def test_value_lists_hold_only_the_rows_in_the_callers_scope(caller, values_in_two_cities, who, visible) -> None:
    rows = caller(who).get("/api/v1/values/").json()["results"]
    assert {(r["region"], r["approval_state"]) for r in rows} == visible


@pytest.mark.django_db
def test_a_coordinator_cannot_read_another_regions_value_by_id(caller, values_in_two_cities) -> None:
    astana = Value.objects.get(region__kato="710000000")
    assert caller("coordinator_almaty").get(f"/api/v1/values/{astana.pk}/").status_code == 404
    assert caller("coordinator_astana").get(f"/api/v1/values/{astana.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_token_sees_only_its_own_agencys_imports(caller, in_process_tasks) -> None:
    upload = io.BytesIO(IMPORT_FILE)
    upload.name = "by-office.csv"
    caller("office").post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert caller("token_import").get("/api/v1/imports/").json()["results"] == []
    assert len(caller("office").get("/api/v1/imports/").json()["results"]) == 1


@pytest.fixture
def astana_reports(coordinator_astana, office):
    """A draft and an approved report of Astana, written before their due dates."""
    import datetime
    from decimal import Decimal

    import time_machine

    from agencies.models import RegionalBranch
    from initiatives.models import Indicator
    from initiatives.periods import Period
    from initiatives.services.reports import report_approve, report_create, report_save, report_submit

    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    events = Indicator.objects.get(code="events.legal_literacy")
    # A month is reported on once it is over: October's draft is started in early November.
    with time_machine.travel(datetime.datetime(2025, 11, 5, tzinfo=datetime.UTC)):
        draft = report_create(branch=branch, kind="monthly", period=Period.parse("2025-10"), user=coordinator_astana)
    early_october = time_machine.travel(datetime.datetime(2025, 10, 5, tzinfo=datetime.UTC))
    early_october.start()
    done = report_create(branch=branch, kind="monthly", period=Period.parse("2025-09"), user=coordinator_astana)
    done = report_save(
        report=done, version=1, values={events: (Decimal(40), "")}, narrative="", user=coordinator_astana
    )
    done = report_submit(report=done, version=done.version, user=coordinator_astana)
    done = report_approve(report=done, user=office)
    early_october.stop()
    return draft, done


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("office", {"2025-10", "2025-09"}),
        ("coordinator_astana", {"2025-10", "2025-09"}),
        ("coordinator_almaty", set()),
        ("token_reports", {"2025-09"}),
    ],
)
def test_report_lists_hold_only_the_reports_in_the_callers_scope(caller, astana_reports, who, visible) -> None:
    rows = caller(who).get("/api/v1/reports/").json()["results"]
    assert {r["period"] for r in rows} == visible


@pytest.mark.django_db
def test_another_regions_unapproved_report_is_not_found(caller, astana_reports) -> None:
    draft, done = astana_reports
    assert caller("coordinator_almaty").get(f"/api/v1/reports/{draft.pk}/").status_code == 404
    assert caller("token_reports").get(f"/api/v1/reports/{draft.pk}/").status_code == 404
    body = caller("token_reports").get(f"/api/v1/reports/{done.pk}/").json()
    assert (body["state"], body["lines"]) == (
        "approved",
        [{"kpi": "events.legal_literacy", "value": "40", "comment": "", "return_reason": ""}],
    )


# --- exports of values: whoever may read values may export them; a job is its requester's


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("office", 202),
        ("coordinator_astana", 202),
        ("token_kpi", 202),
        ("token_reports", 403),
        ("token_import", 403),
        ("anonymous", 401),
        *[(who, 401) for who in TOKENS_BAD],
    ],
)
def test_who_may_ask_for_an_export(caller, values_in_two_cities, who: str, status: int) -> None:
    from initiatives.models import Export

    response = caller(who).post("/api/v1/exports/", {"format": "csv", "filters": {}}, format="json")
    assert response.status_code == status, response.content[:300]
    assert Export.objects.exists() == (status == 202)
    if status >= 400:
        assert set(response.json()["error"]) >= {"status", "code", "message"}


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["", "download/"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator_astana", 200),
        ("coordinator_almaty", 404),
        ("office", 404),
        ("token_kpi", 404),
        ("token_reports", 403),
        ("anonymous", 401),
        *[(who, 401) for who in TOKENS_BAD],
    ],
)
def test_only_the_requester_reads_an_export(
    caller, values_in_two_cities, in_process_tasks, django_capture_on_commit_callbacks, who, status, suffix
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = caller("coordinator_astana").post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    response = caller(who).get(f"/api/v1/exports/{job['id']}/{suffix}")
    assert response.status_code == status
