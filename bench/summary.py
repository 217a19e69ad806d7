"""Benchmark: KPI summaries read from the rollups, against the database doing the same
work by hand, in one run, on PostgreSQL after ANALYZE.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench_summary \
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/summary.py [--districts 1500] [--no-http]

With `--districts N [--years Y]` it first makes its own data in that (disposable)
database: N synthetic districts under the 20 real regions, monthly values of the 14
offence KPIs for the Y years to 2026-12 (default 4: N x 14 x 48, 1,008,000 at 1,500;
`--years 12` gives 3,024,000), and the regions' population by year. Then it prints, each next to its goal:

- cold: the national summary (value, year before, change, rate per 10,000, estimate,
  breakdown of 20 regions) computed, against a hand-written SQL of the same regional
  sums (the span and the year before) over the values;
- cold, complete and incomplete (issue 27): the national summary of crime.theft for
  2025-01/2025-09 in five cases (complete; the two regions without population in the
  reference data, Akmola and Jetisu; one district missing one month; one region with a
  value of its own for part of the span; no population at all; and a region's own first
  quarter with its districts' values for the months after only), each made inside a
  transaction rolled back after it, and timed against two baselines in the same
  transaction: one SQL statement giving, per first-level region, the figure the summary
  reports (its own value for exactly the span if there is one, else the sum of its
  children's monthly values, with `count(*)` compared to children x months) for the span
  and the year before; and the hand-written regional sums above;
- cached, in-process and over HTTP: the summary endpoint through gunicorn (one worker,
  an agency token) against the same server handing out a static file.
"""

import argparse
import http.client
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from serving import gunicorn_serving  # noqa: E402

from agencies.models import Agency  # noqa: E402
from agencies.tokens import agency_token_issue  # noqa: E402
from initiatives.engine.summary import kpi_summary  # noqa: E402
from initiatives.models import Indicator, IndicatorGroup, Value  # noqa: E402
from initiatives.periods import Period  # noqa: E402
from initiatives.selectors.summary_cache import summary_cached  # noqa: E402

SPAN = "2026-01/2026-09"
# Issue 27's cases: a span of a closed year, so the year-end estimate is the actual figure.
CASES_KPI, CASES_SPAN = "crime.theft", "2025-01/2025-09"


def offences() -> list[str]:
    """The codes of the offence group as the catalogue records it (formulas aside)."""
    return list(
        Indicator.objects.filter(group=IndicatorGroup.OFFENCES, numerator__isnull=True)
        .order_by("code")
        .values_list("code", flat=True)
    )


def insert_monthly(cursor: Any, *, level: int, years: int, spread: int) -> int:
    """Monthly values of the offence KPIs for every region of `level`, for the `years` to
    2026-12, each a number below `spread` (the same for the same region, KPI and month).
    One statement, so the rollup triggers fire once. Returns the rows inserted."""
    cursor.execute(
        """
        INSERT INTO initiatives_value (created_at, updated_at, indicator_id, region_id, period_start, period_end,
                                       value, source, approval_state, approved_at, comment)
        SELECT now(), now(), i.id, r.id, m, m, (abs(hashtext(r.kato || i.code || m::text)) %% %s)::numeric,
               'import', 'approved', now(), ''
        FROM regions_region r CROSS JOIN initiatives_indicator i
        CROSS JOIN generate_series(make_date(%s, 1, 1), '2026-12-01'::date, interval '1 month') m
        WHERE r.level = %s AND i.code = ANY(%s)
        """,
        [spread, 2027 - years, level, offences()],
    )
    return int(cursor.rowcount)


def prepare(districts: int, years: int) -> None:
    per_region = min(-(-districts // 20), 89)  # KATO's district digits: 11..99
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE initiatives_value, initiatives_historicalvalue, initiatives_rollup CASCADE")
        cursor.execute("DELETE FROM regions_region WHERE level > 1")
        cursor.execute(
            """
            INSERT INTO regions_region (name_kk, name_ru, name_en, created_at, updated_at, kato, level, kind,
                                        iso_3166_2, parent_id)
            SELECT 'Аудан ' || k, 'Район ' || k, 'District ' || k, now(), now(), k, 2, 'district', '', p.id
            FROM regions_region p CROSS JOIN generate_series(11, 10 + %s) d
            CROSS JOIN LATERAL (SELECT substr(p.kato, 1, 2) || lpad(d::text, 2, '0') || '00000' AS k) x
            WHERE p.level = 1
            """,
            [per_region],
        )
        started = time.monotonic()
        inserted = insert_monthly(cursor, level=2, years=years, spread=500)
        print(f"inserted {inserted} values with their rollups in {time.monotonic() - started:.1f} s")
        cursor.execute(
            """
            INSERT INTO initiatives_value (created_at, updated_at, indicator_id, region_id, period_start, period_end,
                                           value, source, approval_state, approved_at, comment)
            SELECT now(), now(), i.id, r.id, make_date(y, 1, 1), make_date(y, 12, 1),
                   500000 + abs(hashtext(r.kato || y::text)) % 1500000, 'import', 'approved', now(), ''
            FROM regions_region r CROSS JOIN initiatives_indicator i CROSS JOIN generate_series(2022, 2026) y
            WHERE r.level = 1 AND i.code = 'population'
            """
        )
        cursor.execute("ANALYZE")


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def hand_written(indicator_id: int, span: Period) -> Callable[[], object]:
    """The regional sums of the span and of the year before, straight from the values."""
    before = span.year_before()
    dates = [span.first_day, before.end.first_day, indicator_id]
    dates += [span.first_day, span.end.first_day, before.first_day, before.end.first_day]

    def run() -> object:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT p.id,
                       SUM(v.value) FILTER (WHERE v.period_start >= %s),
                       SUM(v.value) FILTER (WHERE v.period_end <= %s)
                FROM initiatives_value v
                JOIN regions_region r ON r.id = v.region_id JOIN regions_region p ON p.id = r.parent_id
                WHERE v.indicator_id = %s AND v.approval_state = 'approved'
                  AND ((v.period_start >= %s AND v.period_end <= %s)
                    OR (v.period_start >= %s AND v.period_end <= %s))
                GROUP BY p.id
                """,
                dates,
            )
            return cursor.fetchall()

    return run


def by_region(indicator_id: int, span: Period) -> Callable[[], object]:
    """Issue 27's baseline, one statement: per first-level region and for the span and the
    year before, the figure the summary reports: the region's own value for exactly the
    span if there is one, else the sum of its children's monthly values, complete when
    their count is children x months."""
    before = span.year_before()
    params = [span.first_day, span.end.first_day, span.months, before.first_day, before.end.first_day, span.months]

    def run() -> object:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH spans (label, first_day, last_day, months) AS (
                  VALUES (0, %s::date, %s::date, %s::int), (1, %s::date, %s::date, %s::int)
                ),
                kids AS (SELECT parent_id, COUNT(*) AS n FROM regions_region GROUP BY parent_id),
                sums AS (
                  SELECT c.parent_id, s.label, SUM(v.value) AS total, COUNT(*) AS n
                  FROM spans s JOIN initiatives_value v
                    ON v.indicator_id = %s AND v.approval_state = 'approved' AND v.period_start = v.period_end
                   AND v.period_start BETWEEN s.first_day AND s.last_day
                  JOIN regions_region c ON c.id = v.region_id
                  GROUP BY c.parent_id, s.label
                )
                SELECT p.id, s.label,
                       COALESCE(own.value, CASE WHEN sums.n = kids.n * s.months THEN sums.total END),
                       own.value IS NOT NULL OR sums.n = kids.n * s.months,
                       sums.total, sums.n, kids.n * s.months
                FROM regions_region p CROSS JOIN spans s
                LEFT JOIN kids ON kids.parent_id = p.id
                LEFT JOIN sums ON sums.parent_id = p.id AND sums.label = s.label
                LEFT JOIN initiatives_value own
                  ON own.region_id = p.id AND own.indicator_id = %s AND own.approval_state = 'approved'
                 AND own.period_start = s.first_day AND own.period_end = s.last_day
                WHERE p.level = 1
                ORDER BY p.id, s.label
                """,
                [*params, indicator_id, indicator_id],
            )
            return cursor.fetchall()

    return run


class Rollback(Exception):
    """Ends a case's transaction: the data is as it was for the next."""


def _execute(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def population_id() -> int:
    return int(Indicator.objects.get(code="population").pk)


def two_regions_without_population() -> None:
    """Akmola and Jetisu, the regions without a population figure in the reference data."""
    _execute(
        """DELETE FROM initiatives_value WHERE indicator_id = %s AND region_id IN
           (SELECT id FROM regions_region WHERE level = 1 AND name_en IN ('Akmola Region', 'Jetisu Region'))""",
        [population_id()],
    )


def one_district_missing_one_month() -> None:
    _execute(
        """DELETE FROM initiatives_value WHERE indicator_id = %s AND period_start = '2025-05-01' AND region_id =
           (SELECT id FROM regions_region WHERE level = 2 AND kato LIKE '35%%' ORDER BY kato LIMIT 1)""",
        [Indicator.objects.get(code=CASES_KPI).pk],
    )


def own_value_for_part_of_the_span() -> None:
    """Astana's own value for the first quarter, beside its districts' months."""
    _execute(
        """INSERT INTO initiatives_value (created_at, updated_at, indicator_id, region_id, period_start, period_end,
                                          value, source, approval_state, approved_at, comment)
           SELECT now(), now(), %s, id, '2025-01-01', '2025-03-01', 1234, 'import', 'approved', now(), ''
           FROM regions_region WHERE kato = '710000000'""",
        [Indicator.objects.get(code=CASES_KPI).pk],
    )


def own_quarter_districts_the_rest() -> None:
    """Astana's own value for the first quarter, its districts' values only for the months
    after: the engine sums the districts (the region's value is not the span's), each
    lacking the quarter."""
    own_value_for_part_of_the_span()
    _execute(
        """DELETE FROM initiatives_value WHERE indicator_id = %s AND period_start < '2025-04-01'
           AND period_start >= '2025-01-01' AND region_id IN
           (SELECT r.id FROM regions_region r JOIN regions_region p ON p.id = r.parent_id
            WHERE p.kato = '710000000')""",
        [Indicator.objects.get(code=CASES_KPI).pk],
    )


def no_population() -> None:
    _execute("DELETE FROM initiatives_value WHERE indicator_id = %s", [population_id()])


CASES: list[tuple[str, Callable[[], None]]] = [
    ("complete", lambda: None),
    ("two regions without population", two_regions_without_population),
    ("one district missing one month", one_district_missing_one_month),
    ("a region's own value for part of the span", own_value_for_part_of_the_span),
    ("no population at all", no_population),
    ("a region's own quarter, its districts the rest", own_quarter_districts_the_rest),
]


def cases(runs: int) -> None:
    """Issue 27's cases, each inside a transaction rolled back after it."""
    indicator = Indicator.objects.get(code=CASES_KPI)
    span = Period.parse(CASES_SPAN)
    print(f"\ncold national summary of {indicator.code} for {span}, by case (median of {runs}):")
    print(f"{'case':<44} {'ours':>9}     {'by region':>9}    ratio  goal   {'hand-written':>12}    ratio")
    for name, make in CASES:
        try:
            with transaction.atomic():
                make()
                summary = kpi_summary(indicator=indicator, region=None, span=span)
                base = median_ms(by_region(indicator.pk, span), runs)
                old = median_ms(hand_written(indicator.pk, span), runs)
                with CaptureQueriesContext(connection) as queries:
                    kpi_summary(indicator=indicator, region=None, span=span)
                cold = median_ms(lambda: kpi_summary(indicator=indicator, region=None, span=span), runs)
                raise Rollback
        except Rollback:
            pass
        state = "complete" if summary.own.value.complete else f"{len(summary.own.value.missing)} gap(s)"
        rate = summary.own.rate_per_10k
        rate_state = "rate complete" if rate is not None and rate.complete else "rate incomplete"
        ratio = cold / base
        verdict = "met" if ratio <= 2 else "MISSED"
        print(
            f"{name:<44} {cold:7.1f} ms  {base:7.1f} ms  {ratio:6.2f}x  <= 2x {verdict:<6} {old:7.1f} ms  "
            f"{cold / old:6.2f}x   ({len(queries)} queries; {state}, {rate_state})"
        )


def http_median_ms(port: int, path: str, headers: dict[str, str], runs: int) -> float:
    def get() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        assert response.status == 200, (path, response.status)
        conn.close()

    for _ in range(5):
        get()
    return median_ms(get, runs)


def over_http(token: str) -> tuple[float, float]:
    with gunicorn_serving() as port:
        static = http_median_ms(port, "/static/portal.css", {}, 200)
        path = f"/api/v1/kpis/crime.registered/summary/?period_from={SPAN.split('/')[0]}&period_to={SPAN.split('/')[1]}"
        summary = http_median_ms(port, path, {"Authorization": f"Bearer {token}"}, 200)
    return static, summary


def line(what: str, ours: float, base: float, baseline: str, goal: float) -> None:
    ratio = ours / base
    verdict = "met" if ratio <= goal else "MISSED"
    print(f"{what:<44} {ours:9.1f} ms  {baseline:<38} {base:8.1f} ms  {ratio:6.1f}x  goal <= {goal:g}x  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--districts", type=int, help="make the data first: this many districts (disposable db!)")
    parser.add_argument("--years", type=int, default=4, help="with --districts: monthly values for the years to 2026")
    parser.add_argument("--no-http", action="store_true", help="skip the measurements through gunicorn")
    parser.add_argument("--runs", type=int, default=15, help="runs of each case (their median is printed)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/summary.py measures PostgreSQL: set DATABASE_URL")
    if args.districts:
        prepare(args.districts, args.years)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    indicator = Indicator.objects.get(code="crime.registered")
    span = Period.parse(SPAN)
    print(
        f"{Value.objects.count():,} values; {os.cpu_count()} cores; PostgreSQL "
        f"{connection.cursor().connection.info.server_version}; national summary of {indicator.code} for {span}"
    )
    base = median_ms(hand_written(indicator.pk, span), 9)
    with CaptureQueriesContext(connection) as queries:
        kpi_summary(indicator=indicator, region=None, span=span)
    cold = median_ms(lambda: kpi_summary(indicator=indicator, region=None, span=span), 9)
    line(f"cold national summary ({len(queries)} queries)", cold, base, "hand-written SQL of the regional sums", 2)
    cases(args.runs)

    cache.clear()
    summary_cached(indicator=indicator, region=None, span=span)
    cached = median_ms(lambda: summary_cached(indicator=indicator, region=None, span=span), 50)
    print(f"{'cached national summary, in-process':<44} {cached:9.1f} ms")
    if not args.no_http:
        agency = Agency.objects.get(code="kpssu")
        _token, secret = agency_token_issue(agency=agency, name="bench", scopes=["kpi:read"], expires_days=1, user=None)
        static, summary = over_http(secret)
        line("cached summary over HTTP (gunicorn, 1 worker)", summary, static, "the same server, a static file", 5)


if __name__ == "__main__":
    main()
