"""The forecast endpoint (`/api/v1/kpis/{code}/forecast/`), its runs, and the forecast a
KPI's summary shows, on runs stored as a run's job stores them (`stored_forecast`)."""

import csv
import datetime
import io
from decimal import Decimal
from typing import Any

import pytest

from initiatives.models import ForecastRun, Indicator, Target
from regions.models import Region
from tests.factories import RegionFactory, stored_forecast

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

ASTANA, ALMATY = "710000000", "750000000"
FORECAST = "/api/v1/kpis/crime.theft/forecast/"
CSV_HEADER = "kpi,kato,origin,run,made_at,period,horizon,value,lower_80,upper_80,lower_95,upper_95"
# Queries a forecast costs (a session's log-in included), whatever the number of nodes.
BUDGETS = {"json": 10, "csv": 8, "tree": 8, "runs": 5}


@pytest.fixture
def theft() -> Indicator:
    return Indicator.objects.get(code="crime.theft")


@pytest.fixture
def astana_tree(theft: Indicator) -> tuple[Region, list[Region]]:
    """Astana with two districts; a run over the nation, Astana, Almaty and the districts."""
    astana = Region.objects.get(kato=ASTANA)
    districts = [RegionFactory(kato=f"7119{n}0000", kind="city_district", parent=astana) for n in (1, 2)]
    return astana, districts


def rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == CSV_HEADER
    return list(csv.DictReader(io.StringIO(text)))


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    return response.json()["error"]  # type: ignore[no-any-return]


# --- what a forecast says ------------------------------------------------------------------


def test_a_forecast_answers_its_run_origin_and_moments(caller, theft) -> None:
    run = stored_forecast(theft, origin="2026-10")
    body = caller("office").get(FORECAST).json()
    assert (body["run"], body["origin"], body["method"]) == (run.pk, "2026-10", "mint_shrink")
    assert datetime.datetime.fromisoformat(body["made_at"]) == run.started_at
    assert datetime.datetime.fromisoformat(body["data_as_of"]) == run.as_of
    assert body["made_at"].endswith("+05:00")  # in the site's time zone, as every moment the API writes
    assert body["kpi"]["code"] == "crime.theft" and body["region"] == {"kato": None, "name": "Kazakhstan"}


def test_twelve_months_follow_the_origin_each_with_its_ranges_in_two_places(caller, theft) -> None:
    stored_forecast(theft, origin="2026-10")
    months = caller("office").get(FORECAST).json()["months"]
    assert [m["horizon"] for m in months] == list(range(1, 13))
    assert [m["period"] for m in months] == [
        *(f"2026-{m:02d}" for m in (11, 12)),
        *(f"2027-{m:02d}" for m in range(1, 11)),
    ]
    # The nation: the sum of the first three regions' 100, 110 and 120 a month.
    assert {k: months[0][k] for k in ("value", "lower_80", "upper_80", "lower_95", "upper_95")} == {
        "value": "330.00",
        "lower_80": "297.00",
        "upper_80": "363.00",
        "lower_95": "264.00",
        "upper_95": "396.00",
    }


def test_the_months_of_the_children_add_up_to_their_parent_on_the_strings(caller, theft) -> None:
    regions = list(Region.objects.filter(level=1).order_by("kato")[:3])
    stored_forecast(theft, regions=regions, monthly={r.pk: 100.333 + i for i, r in enumerate(regions)})
    client = caller("office")
    nation = client.get(FORECAST).json()["months"]
    parts = [client.get(FORECAST, {"region": r.kato}).json()["months"] for r in regions]
    for h in range(12):
        total = sum(Decimal(p[h]["value"]) for p in parts)
        assert abs(Decimal(nation[h]["value"]) - total) <= Decimal("0.01") * len(regions)


def test_the_year_end_adds_the_forecasts_to_the_actual_and_has_its_own_ranges(caller, theft) -> None:
    stored_forecast(theft, origin="2026-10")
    end = caller("office").get(FORECAST).json()["year_end"]
    assert (end["period"], end["months_left"]) == ("2026", 2)
    assert (end["actual_to_origin"], end["value"]) == ("3300.00", "3960.00")
    assert (end["lower_80"], end["upper_80"], end["lower_95"], end["upper_95"]) == (
        "3894.00",
        "4026.00",
        "3828.00",
        "4092.00",
    )
    assert end["target"] is None and end["probability_meets_target"] is None


@pytest.mark.parametrize(
    ("code", "target", "probability"),
    [
        # errors -1.0 .. +1.0 (21) times the scale 66 around 3960: 3894 .. 4026.
        ("crime.theft", "3960", 11 / 21),  # lower is better: at most the target
        ("crime.theft", "3894", 1 / 21),
        ("events.legal_literacy", "3894", 1.0),  # higher is better: at least the target
        ("events.legal_literacy", "4026", 1 / 21),
    ],
)
def test_the_probability_of_meeting_the_target_reads_the_kpis_direction(
    caller, code: str, target: str, probability: float
) -> None:
    indicator = Indicator.objects.get(code=code)
    stored_forecast(indicator, origin="2026-10")
    Target.objects.create(indicator=indicator, region=None, year=2026, target_value=Decimal(target))
    end = caller("office").get(f"/api/v1/kpis/{code}/forecast/").json()["year_end"]
    assert end["target"] == f"{target}.00"
    assert end["probability_meets_target"] == pytest.approx(probability, abs=1e-4)


def test_accuracy_gives_twelve_horizons_from_origins_the_run_could_have_known(caller, theft) -> None:
    first = Region.objects.filter(level=1).order_by("kato")[0]
    stored_forecast(theft, origin="2026-10", relative_mae=0.8)
    accuracy = caller("office").get(FORECAST, {"region": first.kato}).json()["accuracy"]
    assert [a["horizon"] for a in accuracy] == list(range(1, 13))
    assert [a["origins"] for a in accuracy] == [12 - h + 1 for h in range(1, 13)]
    assert accuracy[0] == {
        "horizon": 1,
        "relative_mae": 0.8,
        "mase": 0.8,
        "bias": 0.1,
        "coverage_80": 0.8,
        "coverage_95": 1.0,
        "origins": 12,
    }


def test_relative_mae_is_null_where_seasonal_naive_made_no_error(caller, theft) -> None:
    from initiatives.models import BacktestScore

    run = stored_forecast(theft, origin="2026-10")
    BacktestScore.objects.filter(run=run.calibration, horizon=1).update(benchmark_abs_error_sum=0)
    accuracy = caller("office").get(FORECAST).json()["accuracy"]
    assert accuracy[0]["relative_mae"] is None and accuracy[1]["relative_mae"] == 0.8


# --- which run ------------------------------------------------------------------------------


def test_without_origin_the_latest_origin_and_without_run_its_latest_successful_run(caller, theft) -> None:
    september = stored_forecast(theft, origin="2026-09")
    october = stored_forecast(theft, origin="2026-10")
    later = stored_forecast(theft, origin="2026-09")
    ForecastRun.objects.create(
        indicator=theft, origin="2026-10-01", as_of=october.as_of, trigger="command", status="failed"
    )
    client = caller("office")
    assert client.get(FORECAST).json()["run"] == october.pk
    assert client.get(FORECAST, {"origin": "2026-09"}).json()["run"] == later.pk
    assert client.get(FORECAST, {"run": september.pk}).json()["run"] == september.pk
    assert error_of(client.get(FORECAST, {"origin": "2026-10", "run": september.pk}), 404)["code"] == "no_forecast"


def test_the_runs_are_listed_newest_origin_first_in_any_state_and_by_origin(caller, theft) -> None:
    september = stored_forecast(theft, origin="2026-09")
    october = stored_forecast(theft, origin="2026-10")
    failed = ForecastRun.objects.create(
        indicator=theft, origin="2026-10-01", as_of=october.as_of, trigger="schedule", status="failed"
    )
    client = caller("token_kpi")
    runs = client.get(f"{FORECAST}runs/").json()
    assert [r["run"] for r in runs] == [failed.pk, october.pk, september.pk]
    assert runs[0]["status"] == "failed" and runs[1]["status"] == "done" and runs[1]["origin"] == "2026-10"
    assert set(runs[1]) == {"run", "origin", "status", "made_at", "finished_at", "data_as_of", "trigger", "method"}
    assert [r["run"] for r in client.get(f"{FORECAST}runs/", {"origin": "2026-09"}).json()] == [september.pk]
    refused = client.get(f"{FORECAST}runs/", {"origin": "2026-12"})
    assert error_of(refused, 400)["fields"]["origin"][0]["code"] == "period_not_ended"


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"region": "999"}, "region", "unknown_region"),
        ({"origin": "2026-13"}, "origin", "not_a_period"),
        ({"origin": "2026-Q3"}, "origin", "not_a_period"),
        ({"origin": "2026-12"}, "origin", "period_not_ended"),
        ({"run": "x"}, "run", "not_a_whole_number"),
        ({"run": "99999999999999999999"}, "run", "max_value"),
        ({"tree": "1"}, "tree", "csv_only"),
    ],
)
def test_a_bad_forecast_request_says_what_and_where(caller, theft, query: dict, field: str, code: str) -> None:
    stored_forecast(theft)
    error = error_of(caller("office").get(FORECAST, query), 400)
    assert [e["code"] for e in error["fields"][field]] == [code], error


def test_no_run_yet_or_a_node_without_a_forecast_is_404_no_forecast(caller, theft) -> None:
    client = caller("office")
    assert error_of(client.get(FORECAST), 404)["code"] == "no_forecast"
    stored_forecast(theft, regions=list(Region.objects.filter(level=1).order_by("kato")[:3]))
    outside = Region.objects.filter(level=1).order_by("-kato").first()
    assert outside is not None
    assert error_of(client.get(FORECAST, {"region": outside.kato}), 404)["code"] == "no_forecast"
    assert error_of(client.get(FORECAST, {"region": outside.kato, "format": "csv"}), 404)["code"] == "no_forecast"
    assert error_of(client.get("/api/v1/kpis/crime.nothing/forecast/"), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("office", {}, 200),
        ("token_kpi", {}, 200),
        ("token_kpi", {"region": ALMATY}, 200),
        ("token_reports", {}, 403),
        ("token_import", {}, 403),
        ("anonymous", {}, 401),
        ("coordinator_astana", {}, 403),
        ("coordinator_astana", {"region": ASTANA}, 200),
        ("coordinator_astana", {"region": "711910000"}, 200),
        ("coordinator_astana", {"region": ALMATY}, 404),
        ("coordinator_almaty", {"region": ASTANA}, 404),
    ],
)
def test_who_may_read_which_forecast(caller, theft, astana_tree, who: str, query: dict, status: int) -> None:
    astana, districts = astana_tree
    almaty = Region.objects.get(kato=ALMATY)
    stored_forecast(theft, regions=[astana, almaty, *districts])
    response = caller(who).get(FORECAST, query)
    assert response.status_code == status, response.content[:300]
    runs = caller(who).get(f"{FORECAST}runs/")
    assert runs.status_code == (status if who not in ("coordinator_astana", "coordinator_almaty") else 200)


# --- CSV --------------------------------------------------------------------------------------


def test_the_csv_of_a_node_is_its_twelve_months(caller, theft) -> None:
    first = Region.objects.filter(level=1).order_by("kato")[0]
    run = stored_forecast(theft, origin="2026-10")
    found = rows(caller("token_kpi").get(FORECAST, {"format": "csv", "region": first.kato}))
    assert len(found) == 12
    assert datetime.datetime.fromisoformat(found[0].pop("made_at")) == run.started_at
    assert found[0] == {
        "kpi": "crime.theft",
        "kato": first.kato,
        "origin": "2026-10",
        "run": str(run.pk),
        "period": "2026-11",
        "horizon": "1",
        "value": "100.00",
        "lower_80": "90.00",
        "upper_80": "110.00",
        "lower_95": "80.00",
        "upper_95": "120.00",
    }
    assert [r["kato"] for r in rows(caller("token_kpi").get(FORECAST, {"format": "csv"}))] == ["KZ"] * 12


def test_the_tree_csv_holds_the_node_and_every_node_below_it(caller, theft, astana_tree) -> None:
    astana, districts = astana_tree
    almaty = Region.objects.get(kato=ALMATY)
    stored_forecast(theft, regions=[astana, almaty, *districts])
    client = caller("office")
    below_astana = rows(client.get(FORECAST, {"format": "csv", "region": ASTANA, "tree": "1"}))
    assert [r["kato"] for r in below_astana[::12]] == [ASTANA, "711910000", "711920000"]
    assert len(below_astana) == 36
    everything = rows(client.get(FORECAST, {"format": "csv", "tree": "1"}))
    assert [r["kato"] for r in everything[::12]] == ["KZ", ASTANA, ALMATY, "711910000", "711920000"]


# --- query budgets ----------------------------------------------------------------------------


def _more_nodes(theft: Indicator, run: ForecastRun, count: int) -> None:
    """`count` more districts of Astana in `run`, twelve months each."""
    from initiatives.models import ForecastPoint

    astana = Region.objects.get(kato=ASTANA)
    points = []
    for n in range(count):
        district = RegionFactory(kato=f"71180{n:02d}00", kind="city_district", parent=astana)
        for p in ForecastPoint.objects.filter(run=run, region=astana):
            p.pk, p.region, p.level = None, district, 2
            points.append(p)
    ForecastPoint.objects.bulk_create(points)


@pytest.mark.parametrize(
    ("kind", "query"),
    [
        ("json", {"region": ASTANA}),
        ("csv", {"region": ASTANA, "format": "csv"}),
        ("tree", {"region": ASTANA, "format": "csv", "tree": "1"}),
    ],
)
def test_a_forecast_costs_the_same_queries_whatever_the_number_of_nodes(
    caller, theft, astana_tree, assert_queries_do_not_grow, kind: str, query: dict
) -> None:
    astana, districts = astana_tree
    run = stored_forecast(theft, regions=[astana, *districts])
    client = caller("office")

    def ask() -> None:
        response = client.get(FORECAST, query)
        assert response.status_code == 200
        b"".join(response.streaming_content) if response.streaming else response.content

    assert_queries_do_not_grow(ask, lambda: _more_nodes(theft, run, 10), budget=BUDGETS[kind])


def test_the_runs_list_costs_the_same_queries_whatever_the_number_of_runs(
    caller, theft, assert_queries_do_not_grow
) -> None:
    stored_forecast(theft, origin="2026-10")
    client = caller("office")

    def more() -> None:
        for origin in ("2026-07", "2026-08", "2026-09"):
            stored_forecast(theft, origin=origin)

    assert_queries_do_not_grow(lambda: client.get(f"{FORECAST}runs/").json(), more, budget=BUDGETS["runs"])


# --- the schema --------------------------------------------------------------------------------


def test_the_schema_describes_the_forecast_and_its_runs_exactly(caller) -> None:
    schema = caller("anonymous").get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/kpis/{code}/forecast/"]["get"]
    assert [p["name"] for p in operation["parameters"] if p["in"] == "query"] == [
        "format",
        "lang",
        "origin",
        "region",
        "run",
        "tree",
    ]
    shape = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    components = schema["components"]["schemas"]
    assert set(components[shape]["properties"]) == {
        "kpi", "region", "run", "origin", "made_at", "data_as_of", "method", "months", "year_end", "accuracy",
    }  # fmt: skip
    month = components["ForecastMonth"]["properties"]
    assert month["value"]["type"] == "string" and month["value"]["format"] == "decimal"
    assert set(components["ForecastAccuracy"]["properties"]) == {
        "horizon", "relative_mae", "mase", "bias", "coverage_80", "coverage_95", "origins",
    }  # fmt: skip
    assert "/api/v1/kpis/{code}/forecast/runs/" in schema["paths"]
