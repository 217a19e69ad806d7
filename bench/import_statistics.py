"""Benchmark: one year of district-level legal statistics (about a million rows) through
the real import service, on the database DATABASE_URL names (PostgreSQL for the figures
in docs/performance.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench \
        .venv/bin/python bench/import_statistics.py [--rows 1000000] [--memory-rows 3000000]

It creates its own synthetic districts and okrugs under the 20 real regions, writes the
CSV to var/bench/, then imports it three times: into an empty table, again unchanged,
and again with one value in ten corrected. The database is wiped of values first.

Each import runs in a process of its own, so its peak memory (ru_maxrss) is its own;
each is set beside `COPY` of the same file into a bare table of four text columns, timed
in the same run (the median of three), since absolute times on a shared machine say
little. `--memory-rows` then imports a larger file into an empty table, for memory only.
"""

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from initiatives.models import Indicator, IndicatorSource, Value  # noqa: E402
from initiatives.statistics.services import statistics_import  # noqa: E402
from projectoffice.celery import app  # noqa: E402

# The import alone is timed: the recomputation of summaries it queues goes nowhere here.
app.conf.task_always_eager = False
app.conf.broker_url = "memory://localhost/"  # a host named, or kombu warns on every task
from regions.models import Region, RegionKind  # noqa: E402

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def units(needed: int) -> list[str]:
    """KATO codes of synthetic districts (and okrugs, when districts run out)."""
    top = list(Region.objects.top_level())
    existing = set(Region.objects.values_list("kato", flat=True))
    created = []
    for region in top:
        for cd in range(11, 99):
            kato = f"{region.kato[:2]}{cd:02d}00000"
            if kato not in existing:
                created.append(
                    Region(kato=kato, level=2, parent=region, kind=RegionKind.DISTRICT, name_kk=kato, name_ru=kato)
                )
    Region.objects.bulk_create(created, batch_size=2000)
    districts = list(Region.objects.filter(level=2).order_by("kato"))
    codes = [d.kato for d in districts][:needed]
    # Okrugs in a fixed order (EF = 11, 12, ... under each district), the same list
    # however often this runs; only the missing ones are created.
    okrug_codes: list[str] = []
    okrugs = []
    ef = 11
    while len(codes) + len(okrug_codes) < needed:
        for district in districts:
            kato = f"{district.kato[:4]}{ef:02d}000"
            okrug_codes.append(kato)
            if kato not in existing:
                okrugs.append(
                    Region(kato=kato, level=3, parent=district, kind=RegionKind.RURAL_OKRUG, name_kk=kato, name_ru=kato)
                )
            if len(codes) + len(okrug_codes) >= needed:
                break
        ef += 1
    Region.objects.bulk_create(okrugs, batch_size=2000)
    return codes + okrug_codes


def write_csv(path: Path, rows: int, change_every: int = 0) -> int:
    codes = [
        c
        # What legal statistics carry: not formulas, not what coordinators report.
        for c in Indicator.objects.filter(numerator__isnull=True, source=IndicatorSource.LEGAL_STATISTICS)
        .exclude(code="population")
        .values_list("code", flat=True)
    ]
    per_unit = len(codes) * len(MONTHS)
    katos = units(-(-rows // per_unit))
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["region", "period", "indicator", "value"])
        for k, kato in enumerate(katos):
            for c, code in enumerate(codes):
                for m, month in enumerate(MONTHS):
                    if written == rows:
                        return written
                    value = (k * 7 + c * 13 + m * 3) % 500
                    if change_every and written % change_every == 0:
                        value += 1
                    out.writerow([kato, month, code, value])
                    written += 1
    return written


# Goals of issue 13, as ratios to COPY of the same file.
GOALS = {"new": 10.0, "unchanged": 3.0, "corrected": 5.0}
MEMORY_GOAL_MB = 250


def copy_baseline(path: Path) -> float:
    """Seconds to COPY the file as it is into a bare table (no index, no constraint)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_baseline")
        cursor.execute("CREATE TABLE bench_copy_baseline (region text, period text, indicator text, value text)")
        started = time.monotonic()
        with path.open("rb") as f, cursor.copy("COPY bench_copy_baseline FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        took = time.monotonic() - started
        cursor.execute("DROP TABLE bench_copy_baseline")
    return took


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def child(path: Path) -> None:
    """One import, in this process only; prints what the parent reads."""
    started = time.monotonic()
    result = statistics_import(source=path)
    took = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": result.rows,
                "seconds": took,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "peak_mb": peak_mb,
            }
        )
    )


def run(label: str, path: Path, baseline: float | None = None, goal: float | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(path)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - our own script
    got = json.loads(done.stdout.strip().splitlines()[-1])
    ratio = ""
    if baseline:
        times = got["seconds"] / baseline
        verdict = "" if goal is None else f" (goal <= {goal:g}x: {'met' if times <= goal else 'MISSED'})"
        ratio = f"; {times:.1f}x COPY{verdict}"
    memory = "met" if got["peak_mb"] < MEMORY_GOAL_MB else "MISSED"
    print(
        f"{label}: {got['rows']} rows in {got['seconds']:.1f}s ({got['rows'] / got['seconds']:,.0f} rows/s){ratio}; "
        f"created {got['created']}, replaced {got['updated']}, unchanged {got['unchanged']}; "
        f"peak RSS {got['peak_mb']:.0f} MB (goal < {MEMORY_GOAL_MB} MB: {memory})",
        flush=True,
    )
    return got


def wipe() -> None:
    Value.history.all()._raw_delete(Value.objects.db)  # type: ignore[attr-defined]
    Value.objects.all()._raw_delete(Value.objects.db)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE initiatives_value")
        cursor.execute("VACUUM ANALYZE initiatives_historicalvalue")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory-rows", type=int, default=0, help="then import a file this long, for memory")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    call_command("migrate", verbosity=0)
    first = ROOT / "var" / "bench" / "statistics.csv"
    corrected = ROOT / "var" / "bench" / "statistics-corrected.csv"
    t = time.monotonic()
    n = write_csv(first, args.rows)
    write_csv(corrected, args.rows, change_every=10)
    print(f"wrote {n} rows twice in {time.monotonic() - t:.1f}s ({first.stat().st_size / 1e6:.0f} MB each)", flush=True)
    server = f"PostgreSQL {connection.pg_version}" if connection.vendor == "postgresql" else connection.vendor
    print(f"machine: {os.cpu_count()} cores; database: {server}", flush=True)
    wipe()
    analyze()
    baseline = statistics.median(copy_baseline(first) for _ in range(3))
    print(f"COPY of the same file into a bare table: {baseline:.2f}s (median of 3)", flush=True)
    run("first import (all new)", first, baseline, GOALS["new"])
    run("same file again (all unchanged)", first, baseline, GOALS["unchanged"])
    run("one value in ten corrected", corrected, baseline, GOALS["corrected"])
    after = statistics.median(copy_baseline(first) for _ in range(3))
    print(f"COPY again after the imports: {after:.2f}s (how much the machine drifted)", flush=True)
    if args.memory_rows:
        big = ROOT / "var" / "bench" / "statistics-big.csv"
        n = write_csv(big, args.memory_rows)
        wipe()
        big_baseline = copy_baseline(big)
        print(f"{n} rows ({big.stat().st_size / 1e6:.0f} MB), COPY {big_baseline:.1f}s", flush=True)
        run(f"memory: {n} new rows", big, big_baseline, GOALS["new"])
        wipe()


if __name__ == "__main__":
    main()
