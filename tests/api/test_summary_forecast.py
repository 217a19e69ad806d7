"""The forecast a KPI's summary shows beside its estimate, and the status it sets where the
KPI's backtest found the forecast's year-end closer than the estimate's rule."""

import datetime
from decimal import Decimal

import pytest

from initiatives.models import Indicator, ReleaseFigure, Target
from initiatives.periods import Period
from tests.factories import stored_forecast

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("second_of_december")]

SUMMARY = "/api/v1/kpis/crime.registered/summary/"
SPAN = {"period_from": "2026-01", "period_to": "2026-10"}


@pytest.fixture
def registered() -> Indicator:
    return Indicator.objects.get(code="crime.registered")


def national_target(indicator: Indicator, value: str) -> None:
    Target.objects.create(indicator=indicator, region=None, year=2026, target_value=Decimal(value))


def test_the_summary_shows_the_forecast_of_its_year_beside_the_estimate(caller, registered) -> None:
    run = stored_forecast(registered, origin="2026-10")
    national_target(registered, "3960")
    body = caller("token_kpi").get(SUMMARY, SPAN).json()
    assert body["forecast"] == {
        "run": run.pk,
        "year_end": "3960.00",
        "lower_80": "3894.00",
        "upper_80": "4026.00",
        "probability_meets_target": pytest.approx(11 / 21, abs=1e-4),
    }
    assert "estimate" in body


def test_without_a_run_of_the_spans_year_or_for_the_node_the_forecast_is_null(caller, registered) -> None:
    client = caller("office")
    assert client.get(SUMMARY, SPAN).json()["forecast"] is None
    stored_forecast(registered, origin="2025-10")  # its year-end is 2025's
    assert client.get(SUMMARY, SPAN).json()["forecast"] is None
    assert client.get(SUMMARY, {"period_from": "2025-01", "period_to": "2025-10"}).json()["forecast"] is not None
    stored_forecast(registered, origin="2026-10")
    assert client.get(SUMMARY, {**SPAN, "region": "750000000"}).json()["forecast"] is None  # not among its nodes


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("4026", "on_track"),  # P = 1: at least 0.7
        ("3960", "at_risk"),  # P = 11/21: between 0.4 and 0.7
        ("3894", "off_track"),  # P = 1/21: below 0.4
    ],
)
def test_where_the_backtest_favours_the_forecast_the_status_follows_its_probability(
    caller, registered, target: str, status: str
) -> None:
    stored_forecast(registered, origin="2026-10")
    national_target(registered, target)
    body = caller("office").get(SUMMARY, SPAN).json()
    assert (body["status"], body["status_method"]) == (status, "forecast_probability")


def test_where_the_backtest_favours_the_estimate_the_status_keeps_its_rule(caller, registered) -> None:
    run = stored_forecast(registered, origin="2026-10")
    backtest = run.calibration
    backtest.detail = {
        "year_end": {str(level): {"mint_shrink": 30.0, "estimate": 20.0, "count": 12} for level in (0, 1, 2)}
    }
    backtest.save()
    national_target(registered, "4026")
    body = caller("office").get(SUMMARY, SPAN).json()
    # No values: the estimate's rule cannot judge, whatever the forecast's probability.
    assert (body["status"], body["status_method"]) == ("unknown", "estimate")
    assert body["forecast"]["probability_meets_target"] == 1.0


def test_without_a_target_the_status_keeps_its_rule(caller, registered) -> None:
    stored_forecast(registered, origin="2026-10")
    body = caller("office").get(SUMMARY, SPAN).json()
    assert (body["status"], body["status_method"]) == ("no_target", "estimate")
    assert body["forecast"]["probability_meets_target"] is None


def test_a_cached_summary_shows_a_run_stored_after_it_was_cached(caller, registered) -> None:
    client = caller("office")
    national_target(registered, "4026")
    first = client.get(SUMMARY, SPAN).json()
    assert (first["forecast"], first["status"]) == (None, "unknown")
    run = stored_forecast(registered, origin="2026-10")
    again = client.get(SUMMARY, SPAN).json()
    assert again["forecast"]["run"] == run.pk and again["status"] == "on_track"
    newer = stored_forecast(registered, origin="2026-10", monthly={})
    assert client.get(SUMMARY, SPAN).json()["forecast"]["run"] == newer.pk


def test_a_summary_as_of_a_moment_shows_only_runs_that_read_values_committed_by_then(caller, registered) -> None:
    run = stored_forecast(registered, origin="2026-10")
    client = caller("office")
    before = (run.as_of - datetime.timedelta(hours=1)).isoformat()
    assert client.get(SUMMARY, {**SPAN, "as_of": before}).json()["forecast"] is None
    after = (run.as_of + datetime.timedelta(hours=1)).isoformat()
    assert client.get(SUMMARY, {**SPAN, "as_of": after}).json()["forecast"]["run"] == run.pk


def test_a_frozen_release_keeps_what_it_froze_when_a_run_appears(caller, registered, office) -> None:
    from django.contrib.auth.models import Group

    from agencies.roles import PROJECT_OFFICE_GROUP
    from initiatives.services.releases import release_confirm, release_publish
    from tests.factories import UserFactory

    national_target(registered, "4026")
    second = UserFactory(username="office.second", is_staff=True)
    second.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    release = release_confirm(release=release_publish(period=Period.parse("2026-10"), user=office), user=second)
    frozen = list(ReleaseFigure.objects.filter(release=release).order_by("pk").values())
    client = caller("office")
    figures = client.get(f"/api/v1/releases/{release.pk}/figures/", {"kpi": "crime.registered"}).json()["figures"]
    stored_forecast(registered, origin="2026-10")
    assert client.get(SUMMARY, {"period_from": "2026-10"}).json()["status"] == "on_track"  # the run counts live
    assert list(ReleaseFigure.objects.filter(release=release).order_by("pk").values()) == frozen
    after = client.get(f"/api/v1/releases/{release.pk}/figures/", {"kpi": "crime.registered"}).json()["figures"]
    assert after == figures and after[0]["status"] == "unknown"


# Queries of a summary with its forecast (a session's log-in included): computed, and from the
# cache. Computed: one fewer since a region without population is its own figure (issue 27).
SUMMARY_BUDGETS = {"computed": 17, "cached": 4}


@pytest.mark.parametrize("kind", ["computed", "cached"])
def test_the_summarys_forecast_costs_the_same_queries_whatever_the_number_of_runs(
    caller, registered, assert_queries_do_not_grow, kind: str
) -> None:
    from django.core.cache import cache

    stored_forecast(registered, origin="2026-10")
    national_target(registered, "4026")
    client = caller("office")

    def ask() -> None:
        if kind == "computed":
            cache.clear()
        assert client.get(SUMMARY, SPAN).json()["forecast"] is not None

    def more_runs() -> None:
        for origin in ("2026-07", "2026-08", "2026-09", "2026-10"):
            stored_forecast(registered, origin=origin)
        client.get(SUMMARY, SPAN)  # a new run is a new key: the cached kind counts the asking after it

    assert_queries_do_not_grow(ask, more_runs, budget=SUMMARY_BUDGETS[kind])
