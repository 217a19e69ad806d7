"""Benchmark: a KPI summary as of a moment against the same summary now, in one run, on
PostgreSQL (run bench/summary.py --districts 1500 first: it makes the data).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/asof_bench \
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/asof.py [--corrections 36000] [--batch 5000]

It gives every value a history row dated a day ago (as the import writes them) and takes a
rollup checkpoint (as the import's end does), then corrects district values of
crime.registered from 2025 on (36,000 such at 1,500 districts, each corrected once), in
batches of `--batch`, with their history, each batch in two statements with a moment noted
between them (the farthest a moment can be from a checkpoint); after each batch it asks for
a checkpoint as beat does every minute (one is taken each ROLLUP_CHECKPOINT_CHANGES history
rows). Then it times the cold national summary of crime.registered for 2026-01/2026-09 as
it stands and as of moments before all the corrections, in the middle and near the end,
medians of 11, next to the goal (<= 3x), and checks each against the reference
(`from_values`) once.
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

from initiatives.engine.asof import choose_base  # noqa: E402
from initiatives.engine.summary import kpi_summary  # noqa: E402
from initiatives.models import CheckpointReason, Indicator, Value  # noqa: E402
from initiatives.periods import Period  # noqa: E402
from initiatives.services.checkpoints import checkpoint_if_due, checkpoint_take  # noqa: E402

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


def correct(n: int, skip: int) -> int:
    """Up to `n` district values of crime.registered from 2025 on corrected now (past the
    first `skip` of them in a fixed order), with their history rows (there are 36,000 such
    at 1,500 districts); how many were."""
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
                             ORDER BY md5(v2.id::text) LIMIT %s OFFSET %s)
              RETURNING {", ".join("v." + c.strip() for c in columns.split(","))}
            )
            INSERT INTO {history} ({columns}, history_date, history_change_reason, history_type)
            SELECT {columns}, now(), 'bench', '~' FROM changed
            """,  # noqa: S608
            [n, skip],
        )
        corrected = cursor.rowcount
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
    parser.add_argument("--corrections", type=int, default=36_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    indicator = Indicator.objects.get(code="crime.registered")
    values = Value.objects.count()
    print(f"{values:,} values; national summary of crime.registered for {SPAN}")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE initiatives_rollupcheckpointcell, initiatives_rollupcheckpoint")
    started = time.monotonic()
    give_history()
    print(f"history rows for every value in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    first = checkpoint_take(reason=CheckpointReason.IMPORT)
    assert first is not None
    print(f"a checkpoint ({first.cells:,} cells) in {(time.monotonic() - started) * 1000:.0f} ms")
    # (moment, corrections made by then)
    moments: list[tuple[object, int]] = [(timezone.now(), 0)]
    checkpoints = {first.pk: 0}  # id -> corrections made when it was taken
    time.sleep(0.01)
    done = 0
    while done < args.corrections:
        size = min(args.batch, args.corrections - done)
        half = size // 2
        done += correct(half, done)
        moments.append((timezone.now(), done))
        time.sleep(0.01)
        done += correct(size - half, done)
        started = time.monotonic()
        taken = checkpoint_if_due()
        if taken is not None:
            checkpoints[taken.pk] = done
            print(
                f"after {done:,} corrections: a checkpoint ({taken.cells:,} cells) in "
                f"{(time.monotonic() - started) * 1000:.0f} ms"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT pg_total_relation_size('initiatives_rollupcheckpointcell'), "
            "(SELECT COUNT(*) FROM initiatives_rollupcheckpoint)"
        )
        size, count = cursor.fetchone()
    print(f"{count} checkpoints, {size / 1024 / 1024:.1f} MB with their index ({size / count / 1024:.0f} kB each)")
    picked = [moments[0], moments[1], moments[len(moments) // 2], moments[-2], moments[-1]]
    for moment, _made in picked:
        then = kpi_summary(indicator=indicator, region=None, span=SPAN, as_of=moment)
        reference = kpi_summary(indicator=indicator, region=None, span=SPAN, as_of=moment, from_values=True)
        assert then.own.value.value == reference.own.value.value
    # Interleaved, so that a change of load on the shared cores falls on every kind alike.
    actions = [lambda: kpi_summary(indicator=indicator, region=None, span=SPAN)]
    actions += [
        lambda m=moment: kpi_summary(indicator=indicator, region=None, span=SPAN, as_of=m)  # type: ignore[misc]
        for moment, _made in picked
    ]
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(15):
        for i, action in enumerate(actions):
            started = time.perf_counter()
            action()
            times[i].append((time.perf_counter() - started) * 1000)
    live = statistics.median(times[0])
    print(f"now: {live:.1f} ms (median of 15, interleaved with the rest)")
    for (moment, made), took in zip(picked, times[1:], strict=True):
        base = choose_base(moment)  # type: ignore[arg-type]
        if base.checkpoint is None:
            where = "today's rollups"
        else:
            where = f"the checkpoint after {checkpoints[base.checkpoint]:,} corrections"
        asof = statistics.median(took)
        ratio = asof / live
        print(
            f"as of {done - made:>6,} corrections ago (from {where}): {asof:.1f} ms: "
            f"{ratio:.1f}x (goal <= 3x: {'met' if ratio <= 3 else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
