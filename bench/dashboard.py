"""Benchmark: the cold national dashboard against one cold national summary, on
PostgreSQL after ANALYZE (goal: at most 3x).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench_dashboard \
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/dashboard.py [--districts 1500]

With `--districts N` it first makes the data of `bench/summary.py` in that (disposable)
database: N districts under the 20 regions, monthly values of the 14 offence KPIs for
four years to 2026-12, the regions' population. "Today" is 2 December 2026, so the
dashboard opens on January-November 2026, the latest complete span.

The dashboard is the whole page as the office asks for it (the view, its three rollup
books, the summary, the charts and the template), with the cache emptied before each
run; the summary is `kpi_summary` of the same KPI and span, as bench/summary.py times it.
"""

import argparse
import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from summary import insert_monthly, median_ms, prepare

from initiatives.engine.summary import kpi_summary
from initiatives.models import Indicator, Value
from initiatives.periods import Period
from initiatives.portal.dashboard_views import dashboard

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

    with time_machine.travel(TODAY, tick=True):
        page()
        span = Period.parse("2026-01/2026-11")
        assert span.kind == "range"
        body = dashboard(request).content.decode()
        assert 'value="2026-01/2026-11" selected' in body, "the default span is not January-November"

        def summary() -> None:
            kpi_summary(indicator=indicator, region=None, span=span)

        with CaptureQueriesContext(connection) as summary_queries:
            summary()
        with CaptureQueriesContext(connection) as page_queries:
            page()
        cold_summary = median_ms(summary, args.runs)
        cold_page = median_ms(page, args.runs)
    print(f"{Value.objects.count():,} values; national, {indicator.code}, default span {span}")
    print(f"{'cold national summary':<40} {cold_summary:9.1f} ms  {len(summary_queries)} queries")
    print(f"{'cold national dashboard (whole page)':<40} {cold_page:9.1f} ms  {len(page_queries)} queries")
    ratio = cold_page / cold_summary
    print(f"ratio {ratio:.2f}x  goal <= {GOAL}x  {'met' if ratio <= GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
