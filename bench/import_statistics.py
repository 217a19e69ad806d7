"""Benchmark: one year of district-level legal statistics (about a million rows) through
the real import service, on the database DATABASE_URL names (PostgreSQL for the figures
in docs/performance.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench \
        .venv/bin/python bench/import_statistics.py [--rows 1000000]

It creates its own synthetic districts and okrugs under the 20 real regions, writes the
CSV to var/bench/, then imports it three times: into an empty table, again unchanged,
and again with one value in ten corrected. The database is wiped of values first.
"""

import argparse
import csv
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from initiatives.models import Indicator, IndicatorSource, Value  # noqa: E402
from initiatives.services.statistics import statistics_import  # noqa: E402
from projectoffice.celery import app  # noqa: E402

# The import alone is timed: the recomputation of summaries it queues goes nowhere here.
app.conf.task_always_eager = False
app.conf.broker_url = "memory://"
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


def run(label: str, path: Path) -> None:
    started = time.monotonic()
    result = statistics_import(source=path)
    took = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label}: {result.rows} rows in {took:.1f}s ({result.rows / took:,.0f} rows/s); "
        f"created {result.created}, replaced {result.updated}, unchanged {result.unchanged}; peak RSS {peak_mb:.0f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    Value.history.all().delete()
    Value.objects.all()._raw_delete(Value.objects.db)  # type: ignore[attr-defined]
    first = ROOT / "var" / "bench" / "statistics.csv"
    corrected = ROOT / "var" / "bench" / "statistics-corrected.csv"
    t = time.monotonic()
    n = write_csv(first, args.rows)
    write_csv(corrected, args.rows, change_every=10)
    print(f"wrote {n} rows twice in {time.monotonic() - t:.1f}s ({first.stat().st_size / 1e6:.0f} MB each)", flush=True)
    run("first import (all new)", first)
    run("same file again (all unchanged)", first)
    run("one value in ten corrected", corrected)


if __name__ == "__main__":
    main()
