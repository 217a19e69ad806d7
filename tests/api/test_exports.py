"""Exports of KPI values: asked for through the API, built by a worker, downloaded once.

Tasks run in the test's process (`in_process_tasks`); a job is built when the request's
transaction commits, which `django_capture_on_commit_callbacks(execute=True)` stands for.
"""

import csv
import datetime
import io
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Agency, AgencyToken, Membership, RegionalBranch
from agencies.tokens import agency_token_revoke
from initiatives import tasks
from initiatives.models import Export
from initiatives.services.exports import export_build
from regions.models import Region
from tests.conftest import token_for
from tests.factories import ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_process_tasks")]

FILTERS = {"kpi": "crime.registered", "period_from": "2025-01", "period_to": "2025-12"}


@pytest.fixture
def values(db: None) -> None:
    """Approved and pending values of Astana and Almaty, of two KPIs, and one outside the span."""
    for month in range(1, 10):
        ValueFactory(kpi="crime.registered", kato="710000000", period=f"2025-{month:02d}", value=1000 + month)
        ValueFactory(kpi="crime.registered", kato="750000000", period=f"2025-{month:02d}", value=2000 + month)
        ValueFactory(kpi="crime.theft", kato="710000000", period=f"2025-{month:02d}", value=100 + month)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-01/2025-09", value="9045.5")
    ValueFactory(kpi="crime.registered", kato="750000000", period="2025-10", value=2010, approved=False)
    ValueFactory(kpi="crime.registered", kato="710000000", period="2024-12", value=999)


def ask(client: APIClient, capture: Any, file_format: str = "csv", filters: dict[str, Any] | None = None) -> Any:
    """POST /exports/ and let the request's transaction commit, which queues the build."""
    with capture(execute=True):
        return client.post("/api/v1/exports/", {"format": file_format, "filters": filters or {}}, format="json")


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def values_csv(client: APIClient, filters: dict[str, str]) -> bytes:
    """What `/values/?format=csv` streams to this client with these filters."""
    return body(client.get("/api/v1/values/", {"format": "csv", **filters}))


def token_client(scopes: list[str], agency: str = "mvd") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(scopes, agency=agency)}")
    return client


def stored_files() -> list[Path]:
    return [p for p in (Path(settings.MEDIA_ROOT) / "exports").rglob("*") if p.is_file()]


# --- what the file holds --------------------------------------------------------------


@pytest.mark.parametrize("who", ["office", "coordinator_astana", "coordinator_almaty", "token_kpi"])
@pytest.mark.parametrize("filters", [FILTERS, {}, {"region": "710000000", "source": "import"}])
def test_a_csv_export_is_the_csv_of_values_byte_for_byte(
    caller, values, django_capture_on_commit_callbacks, who: str, filters: dict[str, str]
) -> None:
    client = caller(who)
    response = ask(client, django_capture_on_commit_callbacks, "csv", filters)
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["status"] == "waiting"  # the answer is written before the build starts
    assert response["Location"] == job["links"]["self"]

    polled = client.get(job["links"]["self"]).json()
    assert polled["status"] == "ready", polled["error"]
    download = client.get(job["links"]["download"])
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="values-{job["id"]}.csv"'

    expected = values_csv(client, filters)
    assert body(download) == expected
    assert polled["rows"] == len(list(csv.DictReader(io.StringIO(expected.decode()))))  # 0 for Almaty in Astana


def test_filters_given_at_the_top_level_are_the_filters_of_values(
    caller, values, django_capture_on_commit_callbacks
) -> None:
    client = caller("office")
    top = {"kpi": "crime.theft", "region": "710000000", "period_from": "2025-02", "period_to": "2025-04"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/exports/", {"format": "csv", **top}, format="json")
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["filters"] == top
    rows = list(csv.DictReader(io.StringIO(body(client.get(job["links"]["download"])).decode())))
    assert [(r["kpi"], r["period"]) for r in rows] == [("crime.theft", f"2025-0{m}") for m in (2, 3, 4)]


@pytest.mark.parametrize("url", ["/api/v1/exports/?format=csv", "/api/v1/exports/?format=xml"])
def test_asking_for_an_export_in_csv_is_a_406_and_makes_nothing(
    caller, django_capture_on_commit_callbacks, url: str
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = caller("office").post(url, {"format": "csv"}, format="json")
    assert response.status_code == 406, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "not_acceptable" and error["params"]["formats"] == "json"
    assert not Export.objects.exists()


def test_a_job_read_as_csv_is_a_406_in_the_error_shape(caller, django_capture_on_commit_callbacks) -> None:
    client = caller("office")
    job = ask(client, django_capture_on_commit_callbacks).json()
    response = client.get(f"/api/v1/exports/{job['id']}/?format=csv")
    assert response.status_code == 406
    assert response.json()["error"]["code"] == "not_acceptable"


def test_an_xlsx_export_opens_and_holds_the_same_rows(caller, values, django_capture_on_commit_callbacks) -> None:
    client = caller("token_kpi")
    job = ask(client, django_capture_on_commit_callbacks, "xlsx", FILTERS).json()
    download = client.get(job["links"]["download"])
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download["Content-Disposition"] == f'attachment; filename="values-{job["id"]}.xlsx"'

    sheet = openpyxl.load_workbook(io.BytesIO(body(download)), read_only=True).worksheets[0]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    expected = list(csv.DictReader(io.StringIO(values_csv(client, FILTERS).decode())))
    assert header == list(expected[0])
    assert len(rows) == len(expected) == 19
    for got, want in zip(rows, expected, strict=True):
        cells = dict(zip(header, got, strict=True))
        assert Decimal(str(cells.pop("value"))) == Decimal(want.pop("value"))  # a number in the sheet
        assert {k: "" if v is None else str(v) for k, v in cells.items()} == want


def test_a_coordinators_export_holds_only_their_regions_approved_values(
    caller, values, django_capture_on_commit_callbacks
) -> None:
    client = caller("coordinator_almaty")
    job = ask(client, django_capture_on_commit_callbacks, "csv", {"kpi": "crime.registered"}).json()
    rows = list(csv.DictReader(io.StringIO(body(client.get(job["links"]["download"])).decode())))
    assert {(r["region"], r["approval_state"]) for r in rows} == {("750000000", "approved")}
    assert len(rows) == 9  # not the pending 2025-10


# --- who sees a job ----------------------------------------------------------------------


def test_another_agency_or_person_cannot_see_or_download_an_export(
    caller, values, django_capture_on_commit_callbacks
) -> None:
    mvd = token_client(["kpi:read"], agency="mvd")
    job = ask(mvd, django_capture_on_commit_callbacks).json()
    assert mvd.get(job["links"]["download"]).status_code == 200

    outsiders = [token_client(["kpi:read"], agency="kpssu"), caller("office"), caller("coordinator_astana")]
    for outsider in outsiders:
        assert outsider.get(job["links"]["self"]).status_code == 404
        assert outsider.get(job["links"]["download"]).status_code == 404
        assert outsider.get("/api/v1/exports/").json()["results"] == []
    # Another system of the same agency reads its agency's exports.
    assert token_client(["kpi:read"], agency="mvd").get(job["links"]["self"]).status_code == 200


def test_office_staff_see_only_their_own_exports(caller, values, django_capture_on_commit_callbacks) -> None:
    job = ask(caller("coordinator_astana"), django_capture_on_commit_callbacks).json()
    office = caller("office")
    assert office.get(job["links"]["self"]).status_code == 404
    assert office.get(job["links"]["download"]).status_code == 404
    mine = ask(office, django_capture_on_commit_callbacks).json()
    assert [e["id"] for e in office.get("/api/v1/exports/").json()["results"]] == [mine["id"]]


@pytest.mark.parametrize("who", ["anonymous", "token_garbage", "token_expired", "token_revoked"])
def test_strangers_are_not_let_in(caller, values, django_capture_on_commit_callbacks, who: str) -> None:
    job = ask(caller("office"), django_capture_on_commit_callbacks).json()
    client = caller(who)
    for response in (
        client.get("/api/v1/exports/"),
        client.get(job["links"]["self"]),
        client.get(job["links"]["download"]),
        ask(client, django_capture_on_commit_callbacks),
    ):
        assert response.status_code == 401
        assert set(response.json()["error"]) >= {"status", "code", "message"}
    assert Export.objects.count() == 1


# --- asking --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "name", "says", "code"),
    [
        ({"region": "710000001"}, "region", "unknown region '710000001'", "unknown_region"),
        ({"period_from": "2025-13"}, "period_from", "2025-13", "not_a_period"),
        ({"period_to": "soon"}, "period_to", "soon", "not_a_period"),
        ({"approval_state": "maybe"}, "approval_state", "maybe", "unknown_filter_value"),
        ({"level": "top"}, "level", "number", "not_a_number"),
        ({"updated_since": "yesterday"}, "updated_since", "date", "not_a_datetime"),
        ({"regoin": "710000000"}, "regoin", "unknown field", "unknown_field"),
        ({"kpi": ["crime.theft", "crime.fraud"]}, "kpi", "string", "invalid"),
        ({"kpi": "crime.nosuch"}, "kpi", "unknown KPI code 'crime.nosuch'", "unknown_kpi"),
        ({"kpi": "x" * 2_000_000}, "kpi", "no more than 100 characters", "max_length"),
    ],
    ids=["region", "period_from", "period_to", "approval_state", "level", "updated_since", "unknown", "list",
         "unknown_kpi", "huge_kpi"],
)  # fmt: skip
def test_a_bad_filter_is_refused_by_name_and_code_and_nothing_is_recorded(
    caller, django_capture_on_commit_callbacks, filters: dict[str, Any], name: str, says: str, code: str
) -> None:
    response = ask(caller("token_kpi"), django_capture_on_commit_callbacks, "csv", filters)
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert f"filters.{name}: " in error["message"] and says in error["message"], error["message"][:300]
    assert [e["code"] for e in error["fields"][f"filters.{name}"]] == [code]
    assert not Export.objects.exists()


@pytest.mark.parametrize(
    ("body", "name", "code"),
    [
        ({"kpi": "crime.nosuch"}, "kpi", "unknown_kpi"),
        ({"region": "999"}, "region", "unknown_region"),
        ({"regoin": "710000000"}, "regoin", "unknown_field"),
        ({"kpi": "crime.theft", "filters": {"kpi": "crime.theft"}}, "kpi", "given_twice"),
    ],
)
def test_filters_at_the_top_level_are_checked_the_same_way(
    caller, django_capture_on_commit_callbacks, body: dict[str, Any], name: str, code: str
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = caller("office").post("/api/v1/exports/", {"format": "csv", **body}, format="json")
    assert response.status_code == 400, response.content[:300]
    assert [e["code"] for e in response.json()["error"]["fields"][name]] == [code]
    assert not Export.objects.exists()


def test_an_unknown_format_is_refused(caller, django_capture_on_commit_callbacks) -> None:
    response = ask(caller("office"), django_capture_on_commit_callbacks, "pdf")
    assert response.status_code == 400
    assert "format" in response.json()["error"]["fields"]
    assert not Export.objects.exists()


def test_a_job_not_built_yet_answers_409_with_when_to_look_again(caller, values) -> None:
    client = caller("office")
    job = client.post("/api/v1/exports/", {"format": "csv"}, format="json").json()  # nothing commits: never built
    response = client.get(job["links"]["download"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_ready"
    assert "waiting" in response.json()["error"]["message"]
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize("who", ["office", "token_kpi"])
def test_a_fourth_unfinished_export_is_refused_with_429_and_nothing_recorded(caller, values, who: str) -> None:
    client = caller(who)
    jobs = [client.post("/api/v1/exports/", {"format": "csv"}, format="json") for _ in range(3)]  # never built
    assert [job.status_code for job in jobs] == [202, 202, 202]

    refused = client.post("/api/v1/exports/", {"format": "csv", "filters": FILTERS}, format="json")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert (error["status"], error["code"]) == (429, "too_many_exports")
    assert error["message"] == (
        "You have 3 exports waiting or being built, the most one may have at once; ask again when one of them is ready."
    )
    assert Export.objects.count() == 3
    # Another requester is not held back by this one's exports ...
    assert caller("coordinator_astana").post("/api/v1/exports/", {"format": "csv"}, format="json").status_code == 202
    # ... and once one of its own is built, this one may ask again.
    assert export_build(export_id=jobs[0].json()["id"]) is True
    assert client.post("/api/v1/exports/", {"format": "csv"}, format="json").status_code == 202


def test_the_number_of_unfinished_exports_is_a_setting(caller, values, settings) -> None:
    settings.MAX_UNFINISHED_EXPORTS = 1
    client = caller("office")
    assert client.post("/api/v1/exports/", {"format": "csv"}, format="json").status_code == 202
    assert client.post("/api/v1/exports/", {"format": "csv"}, format="json").status_code == 429


def test_a_failed_job_answers_409_with_its_reason(caller, values, settings) -> None:
    settings.MAX_EXPORT_ROWS = 5
    client = caller("office")
    job = client.post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    assert export_build(export_id=job["id"]) is True
    polled = client.get(job["links"]["self"]).json()
    assert polled["status"] == "failed"
    assert "30 values match these filters; an export holds at most 5" in polled["error"]
    response = client.get(job["links"]["download"])
    assert (response.status_code, response.json()["error"]["code"]) == (409, "failed")
    assert stored_files() == []


# --- the worker ------------------------------------------------------------------------------


def test_building_twice_makes_one_file_and_counts_once(caller, values) -> None:
    client = caller("office")
    job = client.post("/api/v1/exports/", {"format": "xlsx", "filters": FILTERS}, format="json").json()
    assert export_build(export_id=job["id"]) is True
    first = Export.objects.get()
    assert export_build(export_id=job["id"]) is False
    assert tasks.build_export(job["id"]) is False
    again = Export.objects.get()
    assert (again.rows, again.file.name, again.attempts) == (first.rows, first.file.name, 1) == (20, first.file.name, 1)
    assert len(stored_files()) == 1


def test_a_job_whose_worker_died_is_taken_over_by_the_next_delivery(caller, values) -> None:
    job = caller("office").post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    Export.objects.filter(pk=job["id"]).update(status="running", started_at=timezone.now(), attempts=1)
    assert export_build(export_id=job["id"]) is True  # nobody holds the job: its worker is gone
    export = Export.objects.get()
    assert (export.status, export.attempts, export.rows) == ("ready", 2, 30)


@pytest.mark.postgres
def test_a_job_a_live_worker_builds_is_left_to_it(caller, values) -> None:
    import psycopg
    from django.db import connection

    from projectoffice.job_locks import EXPORT_JOBS

    job = caller("office").post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    Export.objects.filter(pk=job["id"]).update(status="running", started_at=timezone.now(), attempts=1)
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"], autocommit=True
    ) as worker:
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [EXPORT_JOBS, job["id"]])
        assert export_build(export_id=job["id"]) is False
        assert Export.objects.get().attempts == 1
    # The server ends the closed connection's backend, and frees its lock, a moment after
    # the client hangs up: wait for that moment (up to 10 s) rather than race it.
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s",
                [EXPORT_JOBS, job["id"]],
            )
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.05)
    assert export_build(export_id=job["id"]) is True  # its worker's connection is gone


def test_the_takeover_queues_a_running_job_whose_worker_died(caller, values) -> None:
    job = caller("office").post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    started = timezone.now()
    Export.objects.filter(pk=job["id"]).update(status="running", started_at=started, attempts=1)
    # PostgreSQL tells by the free lock at once; without locks, after the longest a task may run.
    with time_machine.travel(started + datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)):
        assert tasks.delete_expired_exports() == {"deleted": 0, "queued": 0}  # the sweep is for jobs never queued
        assert tasks.take_over_jobs() == {"imports": 0, "exports": 1, "forecasts": 0}
    assert Export.objects.get().status == "ready"


def test_a_broker_outage_leaves_the_job_waiting_and_the_sweep_builds_it(
    caller, values, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.build_export, "delay", broker_down)
    client = caller("token_kpi")
    response = ask(client, django_capture_on_commit_callbacks, "csv", FILTERS)
    assert response.status_code == 202
    assert client.get(response.json()["links"]["self"]).json()["status"] == "waiting"
    monkeypatch.undo()

    assert tasks.delete_expired_exports() == {"deleted": 0, "queued": 0}  # give the queue a minute
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        assert tasks.delete_expired_exports() == {"deleted": 0, "queued": 1}
    polled = client.get(response.json()["links"]["self"]).json()
    assert (polled["status"], polled["rows"]) == ("ready", 19)


def test_a_revoked_tokens_waiting_job_fails_when_built(caller, values) -> None:
    client = caller("token_kpi")
    job = client.post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    token = AgencyToken.objects.get(pk=Export.objects.get().token_id)
    agency_token_revoke(token=token, user=None)
    assert export_build(export_id=job["id"]) is True
    export = Export.objects.get()
    assert (export.status, export.rows, export.file.name) == ("failed", 0, "")
    assert export.error == "The token that asked for this export was revoked; nothing was exported."
    assert stored_files() == []


def test_an_expired_tokens_waiting_job_fails_when_built(caller, values) -> None:
    caller("token_kpi").post("/api/v1/exports/", {"format": "csv"}, format="json")
    export = Export.objects.get()
    AgencyToken.objects.filter(pk=export.token_id).update(expiry_date=timezone.now() - datetime.timedelta(days=1))
    export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and "expired on" in export.error


def test_a_coordinator_moved_to_another_region_exports_only_what_they_may_read_now(
    caller, values, coordinator_astana, almaty
) -> None:
    client = caller("coordinator_astana")
    job = client.post("/api/v1/exports/", {"format": "csv", "filters": {"kpi": "crime.registered"}}, format="json")
    Membership.objects.filter(user=coordinator_astana).update(is_active=False)
    almaty_branch = RegionalBranch.objects.get(agency__code="gpo", region=almaty)
    Membership.objects.create(user=coordinator_astana, branch=almaty_branch, role="coordinator")
    export_build(export_id=job.json()["id"])
    rows = list(csv.DictReader(io.StringIO(body(client.get(job.json()["links"]["download"])).decode())))
    assert {r["region"] for r in rows} == {"750000000"}


def test_a_coordinator_without_a_region_any_more_gets_nothing(caller, values, coordinator_astana) -> None:
    job = caller("coordinator_astana").post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    Membership.objects.filter(user=coordinator_astana).update(is_active=False)
    export_build(export_id=job["id"])
    export = Export.objects.get()
    assert (export.status, export.file.name) == ("failed", "")
    assert "may no longer read KPI values" in export.error


def test_a_file_built_for_a_region_is_not_downloaded_after_losing_it(caller, values, coordinator_astana) -> None:
    client = caller("coordinator_astana")
    job = client.post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    export_build(export_id=job["id"])
    assert client.get(job["links"]["download"]).status_code == 200
    assert Export.objects.get().scope == {"office": False, "regions": ["710000000"]}
    Membership.objects.filter(user=coordinator_astana).update(is_active=False)
    Membership.objects.create(
        user=coordinator_astana,
        branch=RegionalBranch.objects.get_or_create(
            agency=Agency.objects.get(code="gpo"), region=Region.objects.get(kato="750000000")
        )[0],
        role="coordinator",
    )
    answer = client.get(job["links"]["download"])
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == "Your access changed since this export was built; ask for a new export."


def test_a_file_built_for_office_staff_is_not_downloaded_once_they_leave_the_office(caller, values, office) -> None:
    client = caller("office")
    job = client.post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    export_build(export_id=job["id"])
    office.groups.clear()
    Membership.objects.create(
        user=office,
        branch=RegionalBranch.objects.get_or_create(
            agency=Agency.objects.get(code="gpo"), region=Region.objects.get(kato="710000000")
        )[0],
        role="coordinator",
    )
    assert client.get(job["links"]["download"]).status_code == 403


# --- expiry ----------------------------------------------------------------------------------


def test_an_expired_export_answers_410_and_the_sweep_deletes_its_file(
    caller, values, django_capture_on_commit_callbacks, office
) -> None:
    client = caller("office")
    job = ask(client, django_capture_on_commit_callbacks).json()
    assert client.get(job["links"]["download"]).status_code == 200
    assert len(stored_files()) == 1

    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        client.force_login(office)  # a week later: a log-in of that day (sessions last 12 hours at most)
        response = client.get(job["links"]["download"])
        assert response.status_code == 410
        assert response.json()["error"]["code"] == "expired"
        assert "ask for a new export" in response.json()["error"]["message"]
        assert client.get(job["links"]["self"]).json()["expired"] is True
        assert tasks.delete_expired_exports() == {"deleted": 1, "queued": 0}
        assert tasks.delete_expired_exports() == {"deleted": 0, "queued": 0}
    assert stored_files() == []
    assert Export.objects.get().file.name == ""
    assert client.get(job["links"]["download"]).status_code == 410


# --- query budget ----------------------------------------------------------------------------


def test_the_list_does_not_query_per_job(
    caller, office, assert_queries_do_not_grow: Callable[[Callable[[], object], Callable[[], object]], int]
) -> None:
    Export.objects.create(requested_by=office, format="csv")
    client = caller("office")

    def add() -> None:
        for n in range(30):
            Export.objects.create(requested_by=office, format="xlsx" if n % 2 else "csv", filters={"kpi": "x"})

    assert_queries_do_not_grow(lambda: client.get("/api/v1/exports/").json(), add, budget=5)
    assert len(client.get("/api/v1/exports/").json()["results"]) == 31


# --- the admin: staff see the jobs, nobody edits them -------------------------------------------


def test_staff_see_the_jobs_in_the_admin_read_only(
    client, office, coordinator_astana, caller, values, django_capture_on_commit_callbacks
) -> None:
    job = ask(caller("coordinator_astana"), django_capture_on_commit_callbacks).json()
    client.force_login(office)
    assert client.get("/admin/initiatives/export/").status_code == 200
    page = client.get(f"/admin/initiatives/export/{job['id']}/change/")
    assert page.status_code == 200
    assert b"coordinator.astana" in page.content and b"exports/" not in page.content  # no path to the file
    assert client.get("/admin/initiatives/export/add/").status_code == 403
    assert client.post(f"/admin/initiatives/export/{job['id']}/delete/", {"post": "yes"}).status_code == 403
    client.force_login(coordinator_astana)
    assert client.get("/admin/initiatives/export/").status_code == 302  # not staff: to the log-in page


def test_a_big_export_is_queued_behind_small_ones(caller, values, settings, django_capture_on_commit_callbacks) -> None:
    from unittest import mock

    settings.SMALL_EXPORT_ROWS = 19
    client = caller("token_kpi")
    with (
        mock.patch.object(tasks.build_export, "delay") as small,
        mock.patch.object(tasks.build_export, "apply_async") as big,
    ):
        assert ask(client, django_capture_on_commit_callbacks, "csv", FILTERS).status_code == 202  # 19 rows
        assert ask(client, django_capture_on_commit_callbacks, "csv", {}).status_code == 202  # the whole table
    first, second = Export.objects.order_by("pk")
    small.assert_called_once_with(first.pk)  # the default priority, 0: first
    big.assert_called_once_with((second.pk,), priority=9)


def test_an_unexpected_error_fails_the_export_at_once_and_passing_trouble_is_retried(caller, values) -> None:
    """One policy with imports (projectoffice.jobs.job_run): a bug is not tried again."""
    from unittest import mock

    from initiatives.services import exports

    client = caller("office")
    broken = client.post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    with mock.patch.object(exports, "_write_and_store", side_effect=KeyError("bug")):
        assert export_build(export_id=broken["id"]) is True
    export = Export.objects.get(pk=broken["id"])
    assert (export.status, export.attempts) == ("failed", 1)
    assert export.error == "the export stopped on an unexpected error (KeyError)"

    passing = client.post("/api/v1/exports/", {"format": "csv"}, format="json").json()
    with mock.patch.object(exports, "_write_and_store", side_effect=OSError("disk full")), pytest.raises(OSError):
        export_build(export_id=passing["id"])
    export = Export.objects.get(pk=passing["id"])
    assert (export.status, export.error) == ("running", "a passing error (OSError); it is tried again")
    assert export_build(export_id=passing["id"]) is True  # the task's retry
    assert Export.objects.get(pk=passing["id"]).status == "ready"
