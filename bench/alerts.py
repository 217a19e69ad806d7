"""Benchmark: early warning's detection on PostgreSQL, as the issue sets it: 20 KPIs x 221
series (the nation, 20 regions, 200 districts), the month after 53 months of history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench_alerts \
    .venv/bin/python bench/alerts.py --seed [--runs 3]

With `--seed` it first makes its data in that (disposable) database, as `bench/forecast.py`
does: `seed_demo --districts 200` (the 14 offence KPIs and the campaign KPIs by month from
2022-06) and 6 bench KPIs copied from offence KPIs with their districts scaled and noised.
Then it times, goal beside:

- a detection run of the last month that is over for the 20 KPIs with district series
  (the 14 offences and the 6 bench ones; N counts every monthly count KPI, as a national
  run does): wall time and CPU (goal: 1 minute), peak memory, series tested and skipped,
  alerts raised;
- its reading against the database doing the same work: every KPI's tree of monthly
  figures read as the run reads them (the engine's figures as committed now) against a
  hand-written query returning the same stored rows (ratio);
- the fitting alone per series (milliseconds).

Median of `--runs`. The machine's load average is printed: its 2 cores are shared.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from forecast import prepare  # noqa: E402

from initiatives.alerts.jobs import detection_job_run, detection_kpis, detection_request  # noqa: E402
from initiatives.alerts.models import Alert, DetectionRun, DetectionStatus, DetectionTrigger  # noqa: E402
from initiatives.forecasts.series import tree_series  # noqa: E402
from initiatives.models import Indicator, IndicatorGroup, Value  # noqa: E402
from initiatives.periods import Month  # noqa: E402

GOAL_S = 60.0
KPIS = 20


def tested_kpis() -> list[Indicator]:
    """The offence KPIs and the bench's copies: the 20 with district series."""
    kpis = [k for k in detection_kpis() if k.group == IndicatorGroup.OFFENCES or k.code.startswith("bench.forecast_")]
    assert len(kpis) == KPIS, f"{len(kpis)} KPIs with district series, not {KPIS}: run with --seed"
    return kpis


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def timed_run(month: Month, codes: list[str]) -> tuple[float, float, DetectionRun]:
    Alert.objects.all().delete()  # each run raises anew
    run = detection_request(period=month, trigger=DetectionTrigger.COMMAND, kpis=codes, queue=False)
    wall, cpu = time.perf_counter(), _cpu()
    done = detection_job_run(run_id=run.pk)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    assert done.status == DetectionStatus.DONE, done.reason
    return wall, cpu, done


def reading(month: Month, kpis: list[Indicator]) -> tuple[float, float]:
    """Every KPI's tree as the run reads it, and the same stored rows by hand-written SQL."""
    start = time.perf_counter()
    rows = 0
    for kpi in detection_kpis():
        data = tree_series(kpi, month, timezone.now())
        rows += sum(len(v) for v in data.values) if data else 0
    ours = time.perf_counter() - start
    first = month.plus(-119).first_day
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT v.indicator_id, v.region_id, v.period_start, v.value
            FROM initiatives_value v JOIN regions_region r ON r.id = v.region_id
            WHERE v.indicator_id = ANY(%s) AND r.level <= 2 AND v.period_start = v.period_end
              AND v.period_start BETWEEN %s AND %s AND v.approval_state = 'approved'
            """,
            [[k.pk for k in detection_kpis()], first, month.first_day],
        )
        stored = len(cursor.fetchall())
    base = time.perf_counter() - start
    print(f"  read: {rows:,} monthly figures (the nation's included), {stored:,} stored rows by hand")
    return ours, base


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", action="store_true", help="make the data first (disposable db!)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/alerts.py measures PostgreSQL: set DATABASE_URL")
    if args.seed:
        prepare()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    kpis = tested_kpis()
    month = Month.from_date(timezone.localdate()).plus(-1)
    months = Value.objects.filter(indicator=kpis[0]).values("period_start").distinct().count()
    print(
        f"{len(kpis)} KPIs tested of {len(detection_kpis())} monthly counts, month {month}, {months} months; "
        f"{Value.objects.count():,} values; load average {os.getloadavg()[0]:.2f}"
    )
    walls, cpus, last = [], [], None
    for _ in range(args.runs):
        wall, cpu, last = timed_run(month, [k.code for k in kpis])
        walls.append(wall)
        cpus.append(cpu)
    assert last is not None
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    met = "met" if wall <= GOAL_S else "NOT met"
    print(
        f"detection, {len(kpis)} KPIs: {wall:.1f} s wall, {cpu:.1f} s CPU (goal {GOAL_S:.0f} s: {met}); "
        f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(
        f"  N = {last.budget_series} series in the budget; {last.tested} tested, {last.skipped} skipped "
        f"{last.detail.get('skipped')}; models {last.detail.get('models')}; {last.raised} alert(s) raised "
        f"(budget {last.detail.get('budget')} a month over N: expected about "
        f"{float(last.detail.get('budget', 5)) * last.tested / max(last.budget_series, 1):.1f} false ones)"
    )
    ours, base = reading(month, kpis)
    print(f"  reading every tree: {ours:.2f} s against the hand-written query's {base:.3f} s ({ours / base:.0f}x)")
    fitting = wall - ours
    print(f"  testing: {fitting:.1f} s, {1000 * fitting / max(last.tested, 1):.2f} ms a series")


if __name__ == "__main__":
    main()
