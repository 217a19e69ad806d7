"""`/api/v1/alerts/`: its columns, its filters and their 400s, who reads which alerts, the
CSV, and a query count that does not grow with the alerts."""

import csv
import io

import pytest

from initiatives.alerts.services import alert_review
from tests.factories import AlertFactory, RegionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

COLUMNS = [
    "id",
    "kpi",
    "kato",
    "region_name",
    "period",
    "kind",
    "adverse",
    "observed",
    "expected",
    "lower",
    "upper",
    "p_value",
    "persists",
    "reviewed",
    "withdrawn",
    "raised_at",
]
ALERTS_BUDGET = 5  # the session, the user, their regions, the count, the page (KPI and region joined)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def test_an_alert_has_exactly_its_columns_with_its_figures_written_as_strings(caller, november, office) -> None:
    alert_review(alert=november["astana"], user=office, note="Checked with the Astana police: a new way of counting")
    row = next(r for r in caller("office").get("/api/v1/alerts/").json()["results"] if r["id"] == november["astana"].pk)
    assert list(row) == COLUMNS
    assert row == {
        **row,
        "kpi": "crime.registered",
        "kato": "710000000",
        "region_name": "Astana",
        "period": "2026-11",
        "kind": "single",
        "adverse": "rise",
        "observed": "412",
        "expected": "300.0",
        "lower": "240.0",
        "upper": "368.0",
        "p_value": 0.0004,
        "persists": False,
        "reviewed": True,
        "withdrawn": False,
    }
    assert "Astana police" not in caller("office").get("/api/v1/alerts/").content.decode()  # the note stays home


def test_the_region_name_is_in_the_language_asked_for(caller, november) -> None:
    rows = caller("office").get("/api/v1/alerts/?region=710000000&lang=kk").json()["results"]
    assert {r["region_name"] for r in rows} == {"Астана қаласы"}


def test_alerts_come_newest_month_first_then_the_latest_raised(caller, november) -> None:
    import datetime

    later = AlertFactory(kpi="crime.robbery", raised_at=datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC))
    order = ids(caller("office").get("/api/v1/alerts/"))
    assert order[0] == later.pk and order[-1] == november["october"].pk


def test_the_filters_narrow_by_month_kpi_and_region_with_everything_below_it(caller, november) -> None:
    district = RegionFactory(kato="711110000", kind="city_district", name_en="Almaty District")
    below = AlertFactory(kato=district.kato)
    office = caller("office")
    assert ids(office.get("/api/v1/alerts/?period=2026-10")) == [november["october"].pk]
    assert set(ids(office.get("/api/v1/alerts/?kpi=crime.fraud"))) == {november["almaty"].pk}
    astana = set(ids(office.get("/api/v1/alerts/?region=710000000&period=2026-11")))
    assert astana == {november["astana"].pk, november["astana_withdrawn"].pk, below.pk}
    assert set(ids(office.get("/api/v1/alerts/?period=2026-Q4&region=750000000"))) == {
        november["almaty"].pk,
        november["almaty_fall"].pk,
    }


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("kpi=crime.nosuch", "kpi", "unknown_kpi"),
        ("region=123456789", "region", "unknown_region"),
        ("period=2026-13", "period", "not_a_period"),
        ("period=November", "period", "not_a_period"),
    ],
)
def test_an_unknown_kpi_or_region_or_a_bad_period_is_a_400_naming_it(caller, november, query, field, code) -> None:
    response = caller("office").get(f"/api/v1/alerts/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"][field][0]["code"] == code


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("office", 200),
        ("coordinator_astana", 200),
        ("coordinator_almaty", 200),
        ("token_kpi", 200),
        ("token_reports", 403),
        ("token_import", 403),
        ("token_expired", 401),
    ],
)
def test_who_may_read_alerts(caller, november, who: str, status: int) -> None:
    assert caller(who).get("/api/v1/alerts/").status_code == status


def test_a_coordinator_of_astana_reads_no_almaty_alert(caller, november) -> None:
    astana = caller("coordinator_astana")
    katos = {r["kato"] for r in astana.get("/api/v1/alerts/").json()["results"]}
    assert katos == {"710000000"}
    assert ids(astana.get("/api/v1/alerts/?region=750000000")) == []
    assert ids(astana.get("/api/v1/alerts/?kpi=crime.fraud")) == []
    rows = list(
        csv.DictReader(io.StringIO(b"".join(astana.get("/api/v1/alerts/?format=csv").streaming_content).decode()))
    )
    assert {r["kato"] for r in rows} == {"710000000"}
    assert len(ids(caller("token_kpi").get("/api/v1/alerts/"))) == 5


def test_the_csv_has_the_json_columns_and_a_row_per_alert(caller, november) -> None:
    response = caller("office").get("/api/v1/alerts/?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == COLUMNS and len(rows) == 6
    assert "review_note" not in rows[0]


def test_the_list_pages_a_hundred_by_default(caller, november) -> None:
    body = caller("office").get("/api/v1/alerts/?page_size=2").json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]


def test_the_list_keeps_a_fixed_query_budget(caller, november, assert_queries_do_not_grow) -> None:
    client = caller("coordinator_astana")

    def add_rows() -> None:
        for code in ("crime.robbery", "crime.fraud", "crime.brigandage"):
            AlertFactory(kpi=code, month="2026-09")
            AlertFactory(kpi=code, month="2026-09", kato="750000000")

    assert_queries_do_not_grow(lambda: client.get("/api/v1/alerts/"), add_rows, budget=ALERTS_BUDGET)
