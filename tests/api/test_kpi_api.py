"""KPIs, values, summaries and imports as an agency's system pulls and pushes them."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from agencies.models import Agency
from initiatives.models import ImportBatch, Indicator, Value
from regions.models import Region
from tests.factories import HEADLINE_2024, HEADLINE_2025, RegionFactory, ValueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def headline(db: None) -> None:
    regions = list(Region.objects.top_level().values_list("kato", flat=True))
    for kato, now, before in zip(regions, HEADLINE_2025, HEADLINE_2024, strict=True):
        ValueFactory(kpi="crime.registered", kato=kato, period="2025-01/2025-09", value=now)
        ValueFactory(kpi="crime.registered", kato=kato, period="2024-01/2024-09", value=before)


def test_an_agency_pulls_the_national_summary_with_its_change_and_breakdown(caller, headline) -> None:
    url = "/api/v1/kpis/crime.registered/summary/?period_from=2025-01&period_to=2025-09&compare=previous_year"
    body = caller("token_kpi").get(url).json()
    assert (body["period"], body["compare_period"]) == ("2025-01/2025-09", "2024-01/2024-09")
    assert (body["value"], body["complete"], body["previous"]["value"]) == ("98500", True, "105573")
    assert body["change_percent"] == "-6.7"
    assert len(body["breakdown"]) == 20
    astana = next(b for b in body["breakdown"] if b["region"]["kato"] == "710000000")
    assert (astana["value"], astana["region"]["name"]) == ("9180", "Astana")


def test_the_same_summary_as_csv(caller, headline) -> None:
    response = caller("token_kpi").get(
        "/api/v1/kpis/crime.registered/summary/?period_from=2025-01&period_to=2025-09&format=csv"
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert (rows[0]["kato"], rows[0]["value"], rows[0]["change_percent"]) == ("KZ", "98500", "-6.7")
    assert len(rows) == 21
    by_accept = caller("token_kpi").get(
        "/api/v1/kpis/crime.registered/summary/?period_from=2025-01&period_to=2025-09", HTTP_ACCEPT="text/csv"
    )
    assert by_accept.content == response.content


@pytest.mark.parametrize(
    ("query", "field", "fragment", "code"),
    [
        ("period_from=2025-13", "period_from", "month 13 is not between 01 and 12", "not_a_period"),
        ("period_from=2025-01&region=999", "region", "unknown region '999'", "unknown_region"),
        ("", "period_from", "This field is required.", "required"),
        ("period_from=2025-01&compare=last_decade", "compare", "is not a valid choice", "unknown_filter_value"),
        ("period_from=1900-01", "period_from", "year 1899 is outside", "period_out_of_range"),
        ("period_from=2025-01&period_to=2025-13", "period_to", "month 13 is not between 01 and 12", "not_a_period"),
        ("period_from=2025-09&period_to=2025-01", "period_to", "2025-01", "period_to_before_period_from"),
    ],
)
def test_a_bad_summary_request_says_what_and_where(caller, query: str, field: str, fragment: str, code: str) -> None:
    response = caller("office").get(f"/api/v1/kpis/crime.registered/summary/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any(fragment in e["message"] for e in error["fields"][field]), error
    assert [e["code"] for e in error["fields"][field]] == [code], error


def test_an_unknown_kpi_is_a_404_in_the_same_shape(caller) -> None:
    response = caller("office").get("/api/v1/kpis/crime.nothing/summary/?period_from=2025-01")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_values_filter_by_kpi_region_and_below_period_and_update_time(caller) -> None:
    astana = Region.objects.get(kato="710000000")
    district = RegionFactory(kato="711100000", parent=astana, kind="city_district")
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1300)
    ValueFactory(kpi="crime.registered", kato=district.kato, period="2025-09", value=400)
    ValueFactory(kpi="crime.theft", kato="710000000", period="2025-09", value=200)
    ValueFactory(kpi="crime.registered", kato="750000000", period="2025-08", value=2100)
    client = caller("token_kpi")

    def rows(query: str) -> list[tuple[str, str, str]]:
        return [(r["kpi"], r["region"], r["period"]) for r in client.get(f"/api/v1/values/?{query}").json()["results"]]

    assert rows("kpi=crime.registered&region=710000000") == [
        ("crime.registered", "710000000", "2025-09"),
        ("crime.registered", "711100000", "2025-09"),
    ]
    assert rows("kpi=crime.registered&level=2") == [("crime.registered", "711100000", "2025-09")]
    assert rows("period_from=2025-08&period_to=2025-08") == [("crime.registered", "750000000", "2025-08")]
    latest = Value.objects.order_by("updated_at").last()
    assert rows(f"updated_since={latest.updated_at.isoformat().replace('+00:00', 'Z')}") == [
        (latest.indicator.code, latest.region.kato, str(latest.period))
    ]
    # An offset PostgreSQL would refuse (beyond ±15:59) is read as the same instant in UTC.
    far_east = client.get("/api/v1/values/?updated_since=2020-01-01T00:00:00%2B23:08")
    assert far_east.status_code == 200 and len(far_east.json()["results"]) == 4
    bad = client.get("/api/v1/values/?region=12345")
    assert bad.status_code == 400 and "unknown region" in bad.json()["error"]["message"]


def test_values_page_by_cursor_without_counting_the_table(caller, django_assert_max_num_queries) -> None:
    for month in range(1, 13):
        ValueFactory(kpi="crime.registered", kato="710000000", period=f"2025-{month:02d}", value=month)
    client = caller("office")
    first = client.get("/api/v1/values/?page_size=5").json()
    assert "count" not in first
    assert len(first["results"]) == 5
    second = client.get(first["next"]).json()
    assert [r["period"] for r in second["results"]] == ["2025-06", "2025-07", "2025-08", "2025-09", "2025-10"]


def test_values_stream_as_csv_with_the_same_rows(caller) -> None:
    for month in range(1, 13):
        ValueFactory(kpi="crime.registered", kato="710000000", period=f"2025-{month:02d}", value=month)
    client = caller("token_kpi")
    response = client.get("/api/v1/values/?format=csv&kpi=crime.registered")
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 12
    assert (rows[0]["kpi"], rows[0]["region"], rows[0]["period"], Decimal(rows[0]["value"])) == (
        "crime.registered",
        "710000000",
        "2025-01",
        Decimal(1),
    )
    json_first = client.get("/api/v1/values/?kpi=crime.registered").json()["results"][0]
    assert list(rows[0]) == list(json_first)


# The queries of each list, whatever its length; a change that moves one is reviewed.
LIST_BUDGETS = {
    "/api/v1/campaigns/": 5,
    "/api/v1/initiatives/": 7,
    "/api/v1/kpis/": 4,
    "/api/v1/imports/": 5,
    "/api/v1/reports/": 7,
    "/api/v1/values/": 4,
}


@pytest.mark.parametrize(
    ("url", "add"),
    [
        (
            "/api/v1/values/?page_size=500",
            lambda: [
                ValueFactory(kpi="crime.theft", kato="710000000", period=f"20{y}-{m:02d}", value=1)
                for y in range(10, 15)
                for m in range(1, 13)
            ],
        ),
        ("/api/v1/campaigns/", lambda: __import__("tests.factories", fromlist=["x"]).CampaignFactory.create_batch(30)),
        (
            "/api/v1/initiatives/",
            lambda: __import__("tests.factories", fromlist=["x"]).InitiativeFactory.create_batch(30),
        ),
        ("/api/v1/kpis/", lambda: __import__("tests.factories", fromlist=["x"]).IndicatorFactory.create_batch(30)),
        ("/api/v1/imports/", lambda: [ImportBatch.objects.create(file_name=f"{i}.csv") for i in range(30)]),
        ("/api/v1/reports/", lambda: _reports(30, first=1)),
    ],
)
def test_list_endpoints_do_not_query_per_row(caller, assert_queries_do_not_grow, url, add) -> None:
    from tests.factories import CampaignFactory, InitiativeFactory

    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-09", value=1)
    CampaignFactory()
    InitiativeFactory()
    ImportBatch.objects.create(file_name="first.csv")
    _reports(1)
    client = caller("office")
    assert_queries_do_not_grow(lambda: client.get(url).json(), add, budget=LIST_BUDGETS.get(url.split("?")[0]))


def _reports(count: int, first: int = 0) -> None:
    from agencies.models import RegionalBranch
    from initiatives.models import Report, ReportLine

    branch = RegionalBranch.objects.get_or_create(
        agency=Agency.objects.get(code="mvd"), region=Region.objects.get(kato="710000000")
    )[0]
    for n in range(first, first + count):
        report = Report.objects.create(branch=branch, kind="monthly", period_start=f"20{10 + n // 12}-{n % 12 + 1:02d}-01",
                                       period_end=f"20{10 + n // 12}-{n % 12 + 1:02d}-01", due_date="2030-01-15")  # fmt: skip
        ReportLine.objects.create(report=report, indicator=Indicator.objects.get(code="events.legal_literacy"), value=1)


def test_names_follow_the_lang_parameter_and_all_three_are_given(caller) -> None:
    client = caller("token_kpi")
    kk = client.get("/api/v1/kpis/crime.registered/?lang=kk")
    assert kk.json()["name"] == "Тіркелген қылмыстық құқық бұзушылықтар"
    assert kk["Content-Language"] == "kk"
    en = client.get("/api/v1/kpis/crime.registered/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["name"] == "Criminal offences registered"
    assert {en["name_kk"], en["name_ru"], en["name_en"]} == {
        "Тіркелген қылмыстық құқық бұзушылықтар",
        "Зарегистрировано уголовных правонарушений",
        "Criminal offences registered",
    }


@pytest.fixture
def push(in_process_tasks, django_capture_on_commit_callbacks):
    """Upload a file as the API's caller does, let the worker run it (here, in-process,
    once the upload commits), and read the import back from where the answer points."""

    def upload(client, content: bytes, name: str, **data):
        file = io.BytesIO(content)
        file.name = name
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/api/v1/imports/", {"file": file, **data}, format="multipart")
        assert response.status_code == 202, response.content[:300]
        assert response.json()["status"] == "pending"
        return client.get(response["Location"]).json()

    return upload


def test_a_refused_upload_ends_refused_with_every_bad_row(caller, push) -> None:
    body = push(
        caller("token_import"),
        b"region,period,indicator,value\n710000000,2025-09,crime.registered,1\n710000001,2025-13,crime.registered,-1\n",
        "bad.csv",
    )
    batch = ImportBatch.objects.get()
    assert body["id"] == batch.pk
    assert (body["status"], body["error_count"], body["agency"], body["attempts"]) == ("failed", 3, "kpssu", 1)
    assert [(r["line"], r["column"]) for r in body["errors"]] == [(3, "region"), (3, "period"), (3, "value")]
    assert not Value.objects.exists()
    again = caller("token_import").get(f"/api/v1/imports/{batch.pk}/").json()
    assert again["errors"][0]["message"] == "unknown region '710000001' (a 9-digit KATO code)"


def test_an_accepted_upload_is_approved_and_attributed_to_the_agency(caller, push) -> None:
    body = push(
        caller("token_import"), b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n", "1m.csv"
    )
    assert (body["status"], body["created"], body["agency"]) == ("succeeded", 1, "kpssu")
    assert body["progress"] == {"stage": "", "done": 1, "total": 1}
    value = Value.objects.get()
    assert (value.approval_state, value.import_batch.agency.code) == ("approved", "kpssu")


def test_a_dry_run_counts_what_would_change_and_writes_nothing(caller, push) -> None:
    ValueFactory(kpi="crime.registered", kato="710000000", period="2025-08", value=1200)
    body = push(
        caller("office"),
        b"region,period,indicator,value\n710000000,2025-08,crime.registered,1250\n710000000,2025-09,crime.registered,1300\n",
        "check.csv",
        dry_run=True,
    )
    assert (body["status"], body["dry_run"], body["rows"], body["created"], body["updated"]) == (
        "succeeded",
        True,
        2,
        1,
        1,
    )
    assert list(Value.objects.values_list("value", flat=True)) == [Decimal(1200)]


def test_an_upload_waits_for_a_worker_and_the_sweep_queues_it_if_the_broker_was_down(
    caller, django_capture_on_commit_callbacks
) -> None:
    from unittest import mock

    from initiatives import tasks

    upload = io.BytesIO(b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n")
    upload.name = "later.csv"
    with (
        mock.patch.object(tasks.run_statistics_import, "delay", side_effect=ConnectionError("broker down")) as sent,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = caller("token_import").post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202 and sent.called
    assert (response.json()["status"], response.json()["progress"]["done"]) == ("pending", 0)
    batch = ImportBatch.objects.get()
    assert not Value.objects.exists()

    with mock.patch.object(tasks.run_statistics_import, "delay") as queued:
        assert tasks.resume_import_jobs()["queued"] == 0  # not a minute old yet: it may still be on its way
        ImportBatch.objects.filter(pk=batch.pk).update(created_at=batch.created_at - datetime.timedelta(minutes=2))
        assert tasks.resume_import_jobs()["queued"] == 1
    queued.assert_called_once_with(batch.pk)
    assert tasks.run_statistics_import(batch.pk) == "succeeded"
    assert tasks.run_statistics_import(batch.pk) == "succeeded"  # a second delivery changes nothing
    assert Value.objects.get().value == 1300
    assert ImportBatch.objects.get().attempts == 1


def test_the_sweep_leaves_alone_an_upload_that_was_queued(caller, django_capture_on_commit_callbacks) -> None:
    """A backlog in the queue is not a lost job: queuing it again every five minutes would
    only pile up copies."""
    from unittest import mock

    from initiatives import tasks

    upload = io.BytesIO(b"region,period,indicator,value\n710000000,2025-09,crime.registered,1300\n")
    upload.name = "queued.csv"
    with mock.patch.object(tasks.run_statistics_import, "delay"), django_capture_on_commit_callbacks(execute=True):
        caller("token_import").post("/api/v1/imports/", {"file": upload}, format="multipart")
    ImportBatch.objects.update(created_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    with mock.patch.object(tasks.run_statistics_import, "delay") as queued:
        assert tasks.resume_import_jobs()["queued"] == 0
    queued.assert_not_called()


def test_uploads_other_than_csv_or_xlsx_are_refused_at_once(caller) -> None:
    upload = io.BytesIO(b"region,period,indicator,value\n")
    upload.name = "stats.pdf"
    response = caller("office").post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert "CSV (.csv) or Excel (.xlsx)" in response.json()["error"]["message"]
    assert not ImportBatch.objects.exists()


def test_the_schema_validates_and_the_docs_are_served_without_a_cdn(caller) -> None:
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())
    client = caller("anonymous")
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/kpis/{code}/summary/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["agencyToken"]["scheme"] == "bearer"


def test_api_errors_come_in_the_callers_language(caller) -> None:
    client = caller("coordinator_almaty")
    kk = client.get("/api/v1/kpis/crime.registered/summary/?period_from=2025-09&lang=kk").json()
    assert (
        kk["error"]["message"]
        == "Ел бойынша жиынтық Жобалық кеңсе мен мемлекеттік органдарға арналған; өз өңіріңізді көрсетіңіз."
    )
    ru = caller("token_reports").get("/api/v1/values/?lang=ru").json()
    assert ru["error"]["message"] == "Требуется область доступа kpi:read, которой у этого клиента нет."
