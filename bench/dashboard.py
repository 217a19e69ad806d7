"""Benchmark: the cold national dashboard against one cold national summary, on
PostgreSQL after ANALYZE (goal: at most 3x).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench_dashboard \
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/dashboard.py [--districts 1500]

With `--districts N` it first makes the data of `bench/summary.py` in that (disposable)
database: N districts under the 20 regions, monthly values of the 14 offence KPIs for
four years to 2026-12, the regions' population. "Today" is 2 December 2026, so the
dashboard opens on January-November 2026, the latest complete span.

Cold means the cache emptied before each run. Three comparisons, in one run:
- the dashboard's figures (`dashboard_picture`: its two rollup books, the summary, the
  default span, the trend, the sparklines, what moved most) against `kpi_summary` of the
  same KPI and span, as bench/summary.py times it: the engine's work, the goal;
- the whole page (the view, the charts and the template) against the same summary;
- the whole page against the summary endpoint as a client asks for it
  (`/api/v1/kpis/<code>/summary/`), both through Django's test client.
Run it with DEBUG=0, as production serves.
"""

import argparse
import datetime
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from summary import insert_monthly, median_ms, prepare

from initiatives.engine.summary import kpi_summary
from initiatives.models import Indicator, Value
from initiatives.periods import Period
from initiatives.portal.dashboard_views import dashboard
from initiatives.selectors.dashboard import dashboard_picture

TODAY = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC)
GOAL = 3


def prepare_regions(years: int) -> None:
    """Form 1-M as it usually arrives: the 20 regions' monthly figures, no districts."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE initiatives_value, initiatives_historicalvalue, initiatives_rollup CASCADE")
        cursor.execute("DELETE FROM regions_region WHERE level > 1")
        insert_monthly(cursor, level=1, years=years, spread=50000)
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--districts", type=int, help="make the data first: this many districts (disposable db!)")
    parser.add_argument("--regions-only", action="store_true", help="make region-level data instead (disposable db!)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/dashboard.py measures PostgreSQL: set DATABASE_URL")
    if args.districts:
        prepare(args.districts, 4)
    elif args.regions_only:
        prepare_regions(4)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    user, _ = get_user_model().objects.get_or_create(username="bench-office", defaults={"is_superuser": True})
    indicator = Indicator.objects.get(code="crime.registered")
    request = RequestFactory().get("/dashboard/")
    request.user = user

    def page() -> None:
        cache.clear()
        response = dashboard(request)
        assert response.status_code == 200, response.status_code

    client = Client()
    client.force_login(user)

    def page_http() -> None:
        cache.clear()
        response = client.get("/dashboard/")
        assert response.status_code == 200, response.status_code

    def endpoint_http() -> None:
        cache.clear()
        asked = {"period_from": "2026-01", "period_to": "2026-11"}
        response = client.get(f"/api/v1/kpis/{indicator.code}/summary/", asked)
        assert response.status_code == 200, response.status_code

    with time_machine.travel(TODAY, tick=True):
        page()
        span = Period.parse("2026-01/2026-11")
        assert span.kind == "range"
        body = dashboard(request).content.decode()
        assert 'value="2026-01/2026-11" selected' in body, "the default span is not January-November"

        def summary() -> None:
            kpi_summary(indicator=indicator, region=None, span=span)

        def figures() -> None:
            cache.clear()
            dashboard_picture(indicator=indicator, region=None, period=None, today=TODAY.date(), measure="value")

        # Counted at once: the test client's requests empty the connection's query log.
        counts = {}
        for name, action in {"summary": summary, "figures": figures, "page": page}.items():
            with CaptureQueriesContext(connection) as queries:
                action()
            counts[name] = len(queries)
        # Interleaved, so that a busy machine weighs on each alike.
        times: dict[str, list[float]] = {"summary": [], "figures": [], "page": [], "endpoint": [], "page_http": []}
        actions = {"summary": summary, "figures": figures, "page": page, "endpoint": endpoint_http}
        actions["page_http"] = page_http
        for _ in range(args.runs):
            for name, action in actions.items():
                times[name].append(median_ms(action, 1))
    cold = {name: statistics.median(found) for name, found in times.items()}
    print(f"{Value.objects.count():,} values; national, {indicator.code}, default span {span}")
    print(f"{'cold national summary (kpi_summary)':<44} {cold['summary']:9.1f} ms  {counts['summary']} queries")
    figures_line = f"{'cold dashboard figures (dashboard_picture)':<44} {cold['figures']:9.1f} ms"
    print(f"{figures_line}  {counts['figures']} queries")
    print(f"{'cold national dashboard (whole page)':<44} {cold['page']:9.1f} ms  {counts['page']} queries")
    print(f"{'cold summary endpoint, test client':<44} {cold['endpoint']:9.1f} ms")
    print(f"{'cold dashboard page, test client':<44} {cold['page_http']:9.1f} ms")
    ratio = cold["figures"] / cold["summary"]
    print(f"figures / summary {ratio:.2f}x  goal <= {GOAL}x  {'met' if ratio <= GOAL else 'MISSED'}")
    print(f"whole page / summary {cold['page'] / cold['summary']:.2f}x")
    http = cold["page_http"] / cold["endpoint"]
    print(f"page / summary endpoint {http:.2f}x  goal <= {GOAL}x  {'met' if http <= GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
