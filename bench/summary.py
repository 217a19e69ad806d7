"""Benchmark: KPI summaries over the values bench/import_statistics.py left behind.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench \
        .venv/bin/python bench/summary.py

Times the national summary and one region's, with their query counts, five runs each;
then the same through the summary cache (initiatives/engine/rollups.py): the first read
computes and stores, the next ones are served from the cache after its fingerprint query.
Set REDIS_URL to measure with Redis as the cache (as in production).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from initiatives.engine.rollups import summary_cached  # noqa: E402
from initiatives.engine.summary import kpi_summary  # noqa: E402
from initiatives.models import Indicator, Value  # noqa: E402
from initiatives.periods import Period  # noqa: E402
from regions.models import Region  # noqa: E402


def main() -> None:
    print(f"{Value.objects.count()} values, {Region.objects.count()} regions", flush=True)
    indicator = Indicator.objects.get(code="crime.registered")
    span = Period.parse("2025-01/2025-09")
    for label, region in (("national", None), ("one region", Region.objects.get(kato="710000000"))):
        times = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.monotonic()
                summary = kpi_summary(indicator=indicator, region=region, span=span)
                times.append(time.monotonic() - started)
        print(
            f"{label}: median {statistics.median(times) * 1000:.0f} ms over 5 runs, {len(queries)} queries, "
            f"{len(summary.breakdown)} units in the breakdown, complete={summary.own.value.complete}",
            flush=True,
        )
    cache.clear()
    for label, region in (("national", None), ("one region", Region.objects.get(kato="710000000"))):
        times = []
        for _ in range(6):
            with CaptureQueriesContext(connection) as queries:
                started = time.monotonic()
                summary_cached(indicator=indicator, region=region, span=span)
                times.append(time.monotonic() - started)
        print(
            f"{label} through the cache: first read {times[0] * 1000:.0f} ms; then median "
            f"{statistics.median(times[1:]) * 1000:.1f} ms over 5 runs, {len(queries)} queries",
            flush=True,
        )


if __name__ == "__main__":
    main()
