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
The imports look for warnings, as the service does by default; `--no-warnings` turns them
off, to see the writing alone; `--rollups-by-trigger` has the new values reach the rollups
statement by statement, as before the import added them in one pass. `--steps` prints
each statement of each import that takes more than 0.1 s, to see where the time goes.
The second import is of the same file and nothing else writes meanwhile: the service
recognises it by its hash (services.py).

`--warnings` measures the import's warnings instead (statistics/warnings.py): four past
years (2021-2024, the same districts and KPIs, a season and a drift, four times the
file's rows) are stored first, by COPY, then the new year is imported with warnings off
and on, alternately, twice each, its values removed between two imports:

    DATABASE_URL=... .venv/bin/python bench/import_statistics.py --warnings [--rows 1000000]
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

from initiatives.models import ImportBatch, Indicator, IndicatorSource, Value  # noqa: E402
from initiatives.statistics.services import statistics_import  # noqa: E402
from projectoffice.celery import app  # noqa: E402

# The import alone is timed: the recomputation of summaries it queues goes nowhere here.
app.conf.task_always_eager = False
app.conf.broker_url = "memory://localhost/"  # a host named, or kombu warns on every task
from regions.models import Region, RegionKind  # noqa: E402

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
# Set by the command line: print the slow statements of each import; import with warnings.
STEPS = False
WARNINGS = True
BY_TRIGGER = False
PAST_YEARS = range(2021, 2025)


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


def statistics_codes() -> list[str]:
    return [
        c
        # What legal statistics carry: not formulas, not what coordinators report.
        for c in Indicator.objects.filter(numerator__isnull=True, source=IndicatorSource.LEGAL_STATISTICS)
        .exclude(code="population")
        .values_list("code", flat=True)
    ]


# Figures of the warnings' bench that add up as form 1-M's do: wholes are their parts' sum
# (fraud is more than internet fraud), a district more than its okrugs, one in EXTRA_ZERO
# of the leaves typed with a zero too many.
WHOLES = {
    "crime.crimes": ("crime.minor", "crime.medium", "crime.grave", "crime.especially_grave"),
    "crime.registered": ("crime.misdemeanours", "crime.crimes"),
}
EXTRA_ZERO = 10_007


def coherent(codes: list[str], k: int, m: int, level: int, written: int, typos: bool) -> dict[str, int]:
    """One district's (or okrug's) figures of a month, adding up."""
    leaf = {code: (k * 7 + c * 13 + m * 3) % 500 for c, code in enumerate(codes)}
    if level == 2:  # a district holds its one or two okrugs and more
        leaf = {code: 1000 + value for code, value in leaf.items()}
    if typos and (written // len(codes)) % (EXTRA_ZERO // len(codes)) == 0:
        leaf["crime.theft"] *= 10
    figures = dict(leaf)
    for whole, parts in WHOLES.items():
        figures[whole] = sum(figures[p] for p in parts)
    figures["crime.fraud"] = figures["crime.internet_fraud"] + leaf["crime.fraud"]
    return figures


def write_csv(path: Path, rows: int, change_every: int = 0, *, adding_up: bool = False, typos: bool = False) -> int:
    codes = statistics_codes()
    per_unit = len(codes) * len(MONTHS)
    katos = units(-(-rows // per_unit))
    levels = dict(Region.objects.filter(kato__in=katos).values_list("kato", "level"))
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["region", "period", "indicator", "value"])
        for k, kato in enumerate(katos):
            month_figures = [coherent(codes, k, m, levels[kato], written, typos) for m in range(len(MONTHS))]
            for c, code in enumerate(codes):
                for m, month in enumerate(MONTHS):
                    if written == rows:
                        return written
                    value = month_figures[m][code] if adding_up else (k * 7 + c * 13 + m * 3) % 500
                    if change_every and written % change_every == 0:
                        value += 1
                    out.writerow([kato, month, code, value])
                    written += 1
    return written


# Goals of issue 27 (13 before it, which asked 3x for the unchanged file), as ratios to COPY of the same file.
GOALS = {"new": 10.0, "unchanged": 2.0, "corrected": 5.0}
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


# `--steps`: each statement of the import that takes longer than this is printed (stderr).
SLOW_STATEMENT_S = 0.1


def _timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    try:
        return execute(sql, params, many, context)
    finally:
        took = time.monotonic() - started
        if took >= SLOW_STATEMENT_S:
            print(f"  {took:6.2f}s  {' '.join(str(sql).split())[:150]}", file=sys.stderr, flush=True)


def child(path: Path, warnings: bool = True, steps: bool = False, by_trigger: bool = False) -> None:
    """One import, in this process only; prints what the parent reads."""
    if by_trigger:
        import initiatives.statistics.services as services

        services.DEFER_ROLLUPS = False
    started = time.monotonic()
    if steps:
        with connection.execute_wrapper(_timed):
            result = statistics_import(source=path, warnings=warnings)
    else:
        result = statistics_import(source=path, warnings=warnings)
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
                "warnings": result.warnings_count,
                "peak_mb": peak_mb,
            }
        )
    )


def run(
    label: str, path: Path, baseline: float | None = None, goal: float | None = None, *, warnings: bool = True
) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(path), *([] if warnings else ["--no-warnings"])]
    if STEPS:
        command.append("--steps")
    if BY_TRIGGER:
        command.append("--rollups-by-trigger")
    done = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 - our own script
    if STEPS:
        print(done.stderr, end="", flush=True)
    got: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    ratio = ""
    if baseline:
        times = got["seconds"] / baseline
        verdict = "" if goal is None else f" (goal <= {goal:g}x: {'met' if times <= goal else 'MISSED'})"
        ratio = f"; {times:.1f}x COPY{verdict}"
    memory = "met" if got["peak_mb"] < MEMORY_GOAL_MB else "MISSED"
    print(
        f"{label}: {got['rows']} rows in {got['seconds']:.1f}s ({got['rows'] / got['seconds']:,.0f} rows/s){ratio}; "
        f"created {got['created']}, replaced {got['updated']}, unchanged {got['unchanged']}, "
        f"warnings {got['warnings']}; "
        f"peak RSS {got['peak_mb']:.0f} MB (goal < {MEMORY_GOAL_MB} MB: {memory})",
        flush=True,
    )
    return got


def forget_files() -> None:
    """Values removed behind the history's back (the raw deletes here) are not seen by the
    import's recognition of a file it imported before (services.py): forget the files."""
    ImportBatch.objects.exclude(file_hash="").update(file_hash="")


def wipe() -> None:
    Value.history.all()._raw_delete(Value.objects.db)
    Value.objects.all()._raw_delete(Value.objects.db)
    forget_files()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE initiatives_value")
        cursor.execute("VACUUM ANALYZE initiatives_historicalvalue")


def seed_past_years(path: Path) -> int:
    """The file's districts and KPIs in each of PAST_YEARS, stored approved by COPY: the
    new year's figure of a month, less a drift of two a year, give or take one, so the new
    year looks like its past and the warnings do all their work (finding the few values
    typed with an extra zero)."""
    regions = dict(Region.objects.values_list("kato", "pk"))
    indicators = dict(Indicator.objects.values_list("code", "pk"))
    columns = (
        "indicator_id, region_id, period_start, period_end, value, source, approval_state, approved_at, comment, "
        "created_at, updated_at"
    )
    now = "2026-01-01 00:00:00+00"
    written = 0
    with path.open(encoding="utf-8", newline="") as f, connection.cursor() as cursor:
        with cursor.copy(f"COPY initiatives_value ({columns}) FROM STDIN") as copy:
            for kato, month, code, value in csv.reader(f):
                if kato == "region":
                    continue
                number, m = int(value), int(month[5:])
                for year in PAST_YEARS:
                    past = max(0, number - (2025 - year) * 2 + (year + m) % 3 - 1)
                    day = f"{year}-{m:02d}-01"
                    copy.write_row(
                        (indicators[code], regions[kato], day, day, past, "import", "approved", now, "", now, now)
                    )
                    written += 1
    return written


def remove_new_year() -> None:
    """The values (and history) the bench's new year wrote, so the next import is all new again."""
    Value.history.filter(period_start__gte="2025-01-01")._raw_delete(Value.objects.db)
    Value.objects.filter(period_start__gte="2025-01-01")._raw_delete(Value.objects.db)
    forget_files()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE initiatives_value")
        cursor.execute("VACUUM ANALYZE initiatives_historicalvalue")


def bench_warnings(rows: int) -> None:
    """A new year of `rows` over four stored past years, warnings off and on, alternately."""
    new_year = ROOT / "var" / "bench" / "statistics-new-year.csv"
    t = time.monotonic()
    basis = ROOT / "var" / "bench" / "statistics-past-basis.csv"
    n = write_csv(new_year, rows, adding_up=True, typos=True)
    write_csv(basis, rows, adding_up=True)
    wipe()
    seeded = seed_past_years(basis)
    analyze()
    print(f"wrote {n} rows; stored {seeded} past values (2021-2024) in {time.monotonic() - t:.1f}s", flush=True)
    version = getattr(connection, "pg_version", "")
    server = f"PostgreSQL {version}" if connection.vendor == "postgresql" else connection.vendor
    print(f"machine: {os.cpu_count()} cores; database: {server}", flush=True)
    baseline = statistics.median(copy_baseline(new_year) for _ in range(3))
    print(f"COPY of the same file into a bare table: {baseline:.2f}s (median of 3)", flush=True)
    times: dict[bool, list[float]] = {False: [], True: []}
    for warnings in (False, True, False, True):
        label = f"new year over four past years, warnings {'on' if warnings else 'off'}"
        times[warnings].append(run(label, new_year, baseline, warnings=warnings)["seconds"])
        remove_new_year()
    off, on = statistics.mean(times[False]), statistics.mean(times[True])
    verdict = "met" if on <= 1.2 * off else "MISSED"
    print(f"warnings on / off: {on:.1f}s / {off:.1f}s = {on / off:.2f}x (goal <= 1.2x: {verdict})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory-rows", type=int, default=0, help="then import a file this long, for memory")
    parser.add_argument("--warnings", action="store_true", help="time the import's warnings instead (see above)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-warnings", action="store_true", help="import with the warnings off")
    parser.add_argument("--steps", action="store_true", help="print each statement over 0.1 s (where the time goes)")
    parser.add_argument(
        "--rollups-by-trigger", action="store_true", help="new values reach the rollups by the trigger (as before)"
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, warnings=not args.no_warnings, steps=args.steps, by_trigger=args.rollups_by_trigger)
        return
    global STEPS, WARNINGS, BY_TRIGGER
    STEPS, WARNINGS, BY_TRIGGER = args.steps, not args.no_warnings, args.rollups_by_trigger
    call_command("migrate", verbosity=0)
    if args.warnings:
        bench_warnings(args.rows)
        return
    first = ROOT / "var" / "bench" / "statistics.csv"
    corrected = ROOT / "var" / "bench" / "statistics-corrected.csv"
    t = time.monotonic()
    n = write_csv(first, args.rows)
    write_csv(corrected, args.rows, change_every=10)
    print(f"wrote {n} rows twice in {time.monotonic() - t:.1f}s ({first.stat().st_size / 1e6:.0f} MB each)", flush=True)
    version = getattr(connection, "pg_version", "")
    server = f"PostgreSQL {version}" if connection.vendor == "postgresql" else connection.vendor
    print(f"machine: {os.cpu_count()} cores; database: {server}", flush=True)
    wipe()
    analyze()
    baseline = statistics.median(copy_baseline(first) for _ in range(3))
    print(f"COPY of the same file into a bare table: {baseline:.2f}s (median of 3)", flush=True)
    run("first import (all new)", first, baseline, GOALS["new"], warnings=WARNINGS)
    run("same file again (all unchanged)", first, baseline, GOALS["unchanged"], warnings=WARNINGS)
    run("one value in ten corrected", corrected, baseline, GOALS["corrected"], warnings=WARNINGS)
    after = statistics.median(copy_baseline(first) for _ in range(3))
    print(f"COPY again after the imports: {after:.2f}s (how much the machine drifted)", flush=True)
    if args.memory_rows:
        big = ROOT / "var" / "bench" / "statistics-big.csv"
        n = write_csv(big, args.memory_rows)
        wipe()
        big_baseline = copy_baseline(big)
        print(f"{n} rows ({big.stat().st_size / 1e6:.0f} MB), COPY {big_baseline:.1f}s", flush=True)
        run(f"memory: {n} new rows", big, big_baseline, GOALS["new"], warnings=WARNINGS)
        wipe()


if __name__ == "__main__":
    main()
