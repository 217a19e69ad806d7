"""Benchmark: reads of KPI values over HTTP, each next to its baseline, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_bench \
        .venv/bin/python bench/values_api.py [--rows 1000000] [--sections fixed,page,csv,export,rps]

It loads `--rows` district values with COPY when the table holds another number (one
year: synthetic districts and okrugs x 12 months x the legal-statistics KPIs, as
bench/import_statistics.py builds them), runs ANALYZE, issues a token, starts gunicorn
on 127.0.0.1 (1 worker; the `rps` section also 2) with persistent connections as in
production, and prints:

- fixed:  the fixed cost of a token request: a static file, `/api/v1/`, a region, a KPI
          (goal <= 2x the static file), a cached national summary (goal <= 3x);
- page:   a page of 100 values (first page, and the KPI filter) vs the same 101 rows
          fetched by primary key in-process through psycopg (goal <= 3.5x);
- csv:    `?format=csv` of one KPI vs `COPY (SELECT ...) TO STDOUT` of the same rows (<= 5x);
- export: the export worker's CSV of one KPI and of every value, with the peak memory of
          the process that built it (flat: the same for 66,000 and for 1,000,000 rows);
- rps:    requests per second of the values page and the national summary, 1 and 2 workers
          (`wrk` when installed, else a small threaded client), against 127.0.0.1 only.

The throttle stays on (its cost is part of every request) with a rate the bench cannot hit.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from agencies.models import Agency  # noqa: E402
from agencies.tokens import agency_token_issue  # noqa: E402
from initiatives.models import ImportBatch, Indicator, IndicatorSource, Value  # noqa: E402
from tests.ports import free_port  # noqa: E402

KPI = "crime.registered"
GOALS = {"page": 3.5, "csv": 5.0, "kpi": 2.0, "summary": 3.0}
SPAN = ("2025-01", "2025-09")


def machine() -> str:
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    server = connection.cursor().connection.info.server_version if connection.vendor == "postgresql" else ""
    return f"{platform.node()}: {os.cpu_count()} cores, {mem_gb:.0f} GiB, load {load:.1f}, {connection.vendor} {server}"


# --- data ----------------------------------------------------------------------------


def load_values(rows: int) -> None:
    """`rows` approved district values, written with COPY (the trigger that checks a
    region exists in the period runs for each, as for any write)."""
    from import_statistics import MONTHS, units

    codes = list(
        Indicator.objects.filter(numerator__isnull=True, source=IndicatorSource.LEGAL_STATISTICS)
        .exclude(code="population")
        .order_by("code")
        .values_list("id", flat=True)
    )
    per_unit = len(codes) * len(MONTHS)
    from regions.models import Region

    katos = units(-(-rows // per_unit))
    region_ids = dict(Region.objects.filter(kato__in=katos).values_list("kato", "id"))
    batch = ImportBatch.objects.create(file_name="bench.csv", status="succeeded")
    Value.history.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE initiatives_value")
    base = datetime.datetime(2026, 1, 20, 9, 0, tzinfo=datetime.UTC)
    written = 0
    started = time.monotonic()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY initiatives_value (created_at, updated_at, period_start, period_end, value, source, approval_state,"
            " approved_at, comment, indicator_id, region_id, import_batch_id) FROM STDIN"
        ) as copy,
    ):
        for k, kato in enumerate(katos):
            for c, indicator_id in enumerate(codes):
                for m, month in enumerate(MONTHS):
                    if written == rows:
                        break
                    day = datetime.date(int(month[:4]), int(month[5:]), 1)
                    # Every row its own time, as writes spread over days would give.
                    at = base + datetime.timedelta(microseconds=written * 997)
                    value = Decimal((k * 7 + c * 13 + m * 3) % 500) + Decimal(written % 7) / 4
                    region_id = region_ids[kato]
                    row = (at, at, day, day, value, "import", "approved", at, "", indicator_id, region_id, batch.pk)
                    copy.write_row(row)
                    written += 1
    print(f"loaded {written:,} values with COPY in {time.monotonic() - started:.0f}s", flush=True)


def analyze() -> None:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE initiatives_value")
        cursor.execute("ANALYZE regions_region")
        cursor.execute("ANALYZE initiatives_indicator")
    print(f"ANALYZE in {time.monotonic() - started:.1f}s", flush=True)


# --- the server and the client -------------------------------------------------------


class Server:
    def __init__(self, workers: int) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "DEBUG": "false",
            "CONN_MAX_AGE": "600",  # as in production: a worker keeps its connection
            "API_RATE_PER_TOKEN": "100000000/minute",
        }
        command = [str(Path(sys.executable).parent / "gunicorn"), "projectoffice.wsgi", "-w", str(workers)]
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, on 127.0.0.1
            [*command, "-b", f"127.0.0.1:{self.port}", "--timeout", "600"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                get(self.port, "/healthz")
                break
            except OSError:
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def median_ms(fn: Any, runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def line(label: str, ours: float, base: float, base_label: str, goal: float | None, unit: str = "ms") -> None:
    ratio = ours / base
    verdict = "" if goal is None else (f"  goal <= {goal}x: {'met' if ratio <= goal else 'MISSED'}")
    print(f"{label}: {ours:.1f} {unit} vs {base_label} {base:.1f} {unit}: {ratio:.1f}x{verdict}", flush=True)


# --- sections ------------------------------------------------------------------------


def fixed(port: int, token: str) -> None:
    static = median_ms(lambda: get(port, "/static/portal.css"), 50)
    print(f"static file (the same server): {static:.1f} ms", flush=True)
    for label, path in (
        ("/api/v1/", "/api/v1/"),
        ("one region", "/api/v1/regions/710000000/"),
        ("one KPI", f"/api/v1/kpis/{KPI}/"),
    ):
        status, _ = get(port, path, token)
        assert status == 200, (path, status)
        ours = median_ms(lambda p=path: get(port, p, token), 50)  # type: ignore[misc]
        line(f"token request, {label}", ours, static, "static file", GOALS["kpi"] if label == "one KPI" else None)
    # A summary already in the cache (the first request computes it): the cost of serving it.
    path = f"/api/v1/kpis/{KPI}/summary/?period_from={SPAN[0]}&period_to={SPAN[1]}"
    status, body = get(port, path, token)
    assert status == 200, (path, status, body[:300])
    ours = median_ms(lambda: get(port, path, token), 50)
    line("token request, a cached national summary", ours, static, "static file", GOALS["summary"])


def page(port: int, token: str) -> None:
    raw = connection.connection
    for label, path in (
        ("values page of 100", "/api/v1/values/?page_size=100"),
        ("values page of 100, one KPI", f"/api/v1/values/?kpi={KPI}&page_size=100"),
    ):
        status, body = get(port, path, token)
        assert status == 200, (path, status, body[:300])
        ids = [r["id"] for r in json.loads(body)["results"]]
        ids.append(ids[-1] + 1)  # the one row beyond the page, as the paginator reads it
        ours = median_ms(lambda p=path: get(port, p, token), 30)  # type: ignore[misc]

        def by_pk(ids: list[int] = ids) -> None:
            with raw.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(
                    "SELECT v.id, i.code, r.kato, v.period_start, v.period_end, v.value, v.source, "
                    "v.approval_state, v.approved_at, v.import_batch_id, v.updated_at FROM initiatives_value v "
                    "JOIN initiatives_indicator i ON i.id = v.indicator_id JOIN regions_region r ON r.id = v.region_id "
                    "WHERE v.id = ANY(%s) ORDER BY v.id",
                    [ids],
                )
                cursor.fetchall()

        base = median_ms(by_pk, 30)
        line(label, ours, base, "the same 101 rows by primary key (psycopg, in-process)", GOALS["page"])


def csv_section(port: int, token: str) -> None:
    path = f"/api/v1/values/?kpi={KPI}&format=csv"
    status, body = get(port, path, token)
    assert status == 200, (status, body[:300])
    rows = body.count(b"\n") - 1
    ours = median_ms(lambda: get(port, path, token), 3)
    raw = connection.connection

    def copy_to() -> None:
        with (
            raw.cursor() as cursor,
            cursor.copy(  # type: ignore[union-attr]
                "COPY (SELECT v.id, i.code, r.kato, v.period_start, v.period_end, v.value, v.source, v.approval_state, "  # noqa: S608
                "v.approved_at, v.import_batch_id, v.updated_at FROM initiatives_value v "
                "JOIN initiatives_indicator i ON i.id = v.indicator_id JOIN regions_region r ON r.id = v.region_id "
                f"WHERE i.code = '{KPI}' AND v.approval_state = 'approved' ORDER BY v.id) TO STDOUT WITH (FORMAT csv)"
            ) as copy,
        ):
            for _ in copy:
                pass

    base = median_ms(copy_to, 3)
    label = f"values CSV of one KPI ({rows:,} rows, {len(body) / 1e6:.1f} MB)"
    line(label, ours, base, "COPY (...) TO STDOUT", GOALS["csv"])


def export(kpi: str | None) -> None:
    for label, args in ((f"one KPI ({KPI})", ["--kpi", KPI]), ("every value", ["--all"])):
        out = subprocess.run(  # noqa: S603 - our own bench script
            [sys.executable, str(ROOT / "bench/export_values.py"), *args, "--formats", "csv"],
            capture_output=True,
            text=True,
            env=os.environ,
            check=False,
        )
        print(f"export CSV, {label}: {out.stdout.strip()} {out.stderr.strip()[-300:]}", flush=True)


def rps(token: str, seconds: int) -> None:
    for workers in (1, 2):
        server = Server(workers)
        try:
            for label, path in (
                ("values page of 100", "/api/v1/values/?page_size=100"),
                ("national summary", f"/api/v1/kpis/{KPI}/summary/?period_from=2025-01&period_to=2025-09"),
            ):
                status, body = get(server.port, path, token)
                assert status == 200, (path, status, body[:300])
                rate = load(server.port, path, token, seconds, connections=2 * workers)
                print(f"{label}, {workers} worker(s): {rate:.0f} requests/s", flush=True)
        finally:
            server.stop()


def load(port: int, path: str, token: str, seconds: int, connections: int) -> float:
    """Requests per second at `connections` concurrent clients, 127.0.0.1 only."""
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(  # noqa: S603 - wrk against 127.0.0.1 only
            [wrk, "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "-H", f"Authorization: Bearer {token}",
             f"http://127.0.0.1:{port}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        found = re.search(r"Requests/sec:\s+([\d.]+)", out)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            print(f"  ({errors.group(1)} non-2xx answers)", flush=True)
        return float(found.group(1)) if found else 0.0
    done = [0]
    stop = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < stop:
            status, _ = get(port, path, token)
            if status == 200:
                done[0] += 1

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sections", default="fixed,page,csv,export,rps")
    parser.add_argument("--rps-seconds", type=int, default=10)
    args = parser.parse_args()
    sections = set(args.sections.split(","))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if sections - {"fixed"}:
        if Value.objects.count() != args.rows:
            load_values(args.rows)
        if connection.vendor == "postgresql":
            analyze()
    print(f"{machine()}; {Value.objects.count():,} values", flush=True)
    _, token = agency_token_issue(
        agency=Agency.objects.get(code="mvd"), name="bench", scopes=["kpi:read"], expires_days=1, user=None
    )
    server = Server(1)
    try:
        if "fixed" in sections:
            fixed(server.port, token)
        if "page" in sections:
            page(server.port, token)
        if "csv" in sections:
            csv_section(server.port, token)
    finally:
        server.stop()
    if "export" in sections:
        export(KPI)
    if "rps" in sections:
        rps(token, args.rps_seconds)


if __name__ == "__main__":
    main()
