"""Benchmark: a KPI summary as of a moment against the same summary now, in one run, on
PostgreSQL (run bench/summary.py --districts 1500 first: it makes the data).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_publish_bench \
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/asof.py [--changes 1000 100000]

It gives every value a history row dated a day ago (as the import writes them), then for
each number of changes: corrects that many district values of crime.registered from 2025
on now (with their history; there are 36,000 such at 1,500 districts, so 100,000 asked
corrects every one of them: it says how many it corrected), and
times the cold national summary of crime.registered for 2026-01/2026-09 as it stands and
as of an hour ago (before the corrections), medians of 11, next to the goal (<= 10x).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from initiatives.engine.summary import kpi_summary  # noqa: E402
from initiatives.models import Indicator, Value  # noqa: E402
from initiatives.periods import Period  # noqa: E402

SPAN = Period.parse("2026-01/2026-09")


def give_history() -> None:
    history = connection.ops.quote_name(str(Value.history.model._meta.db_table))
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in Value._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {history}")
        cursor.execute(
            f"INSERT INTO {history} ({columns}, history_date, history_change_reason, history_type) "  # noqa: S608
            f"SELECT {columns}, now() - interval '1 day', 'bench', '+' FROM initiatives_value"
        )
        cursor.execute(f"ANALYZE {history}")


def correct(n: int) -> int:
    """Up to `n` district values of crime.registered from 2025 on corrected now, with their
    history rows (there are 36,000 such at 1,500 districts); how many were."""
    history = connection.ops.quote_name(str(Value.history.model._meta.db_table))
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in Value._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH changed AS (
              UPDATE initiatives_value v SET value = v.value + 1, updated_at = now()
              WHERE v.id IN (SELECT v2.id FROM initiatives_value v2
                             JOIN initiatives_indicator i ON i.id = v2.indicator_id
                             WHERE i.code = 'crime.registered' AND v2.period_start >= '2025-01-01'
                             ORDER BY md5(v2.id::text) LIMIT %s)
              RETURNING {", ".join("v." + c.strip() for c in columns.split(","))}
            )
            INSERT INTO {history} ({columns}, history_date, history_change_reason, history_type)
            SELECT {columns}, now(), 'bench', '~' FROM changed
            """,  # noqa: S608
            [n],
        )
        corrected = cursor.rowcount
        cursor.execute(f"ANALYZE {history}")
    return corrected


def median_ms(action, runs: int = 11) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, nargs="+", default=[1000, 100_000])
    args = parser.parse_args()
    indicator = Indicator.objects.get(code="crime.registered")
    values = Value.objects.count()
    print(f"{values:,} values; national summary of crime.registered for {SPAN}")
    started = time.monotonic()
    give_history()
    print(f"history rows for every value in {time.monotonic() - started:.1f} s")
    for n in args.changes:
        moment = timezone.now()
        time.sleep(0.01)
        corrected = correct(n)
        now = kpi_summary(indicator=indicator, region=None, span=SPAN)
        then = kpi_summary(indicator=indicator, region=None, span=SPAN, as_of=moment)
        reference = kpi_summary(indicator=indicator, region=None, span=SPAN, as_of=moment, from_values=True)
        assert then.own.value.value == reference.own.value.value
        live = median_ms(lambda: kpi_summary(indicator=indicator, region=None, span=SPAN))
        asof = median_ms(lambda: kpi_summary(indicator=indicator, region=None, span=SPAN, as_of=moment))  # noqa: B023
        ratio = asof / live
        print(
            f"{corrected:>7,} corrections since the moment ({n:,} asked): now {now.own.value.value} in {live:.1f} ms, "
            "as of the moment "
            f"{then.own.value.value} in {asof:.1f} ms: {ratio:.1f}x (goal <= 10x: {'met' if ratio <= 10 else 'MISSED'})"
        )
    slow = median_ms(
        lambda: kpi_summary(indicator=indicator, region=None, span=SPAN, as_of=moment, from_values=True), runs=3
    )
    print(f"the reference (every value from the history, in memory): {slow:.0f} ms")


if __name__ == "__main__":
    main()
