"""Benchmark: the site under a mixed load, against a static file from the same server, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/projectoffice_load \
        .venv/bin/python bench/load.py [--clients 40] [--warmup 5] [--seconds 30] [--static-seconds 10]

The database must hold the demo data (`manage.py migrate` and `manage.py seed_demo
--password demo` into it first). The bench starts gunicorn as the Procfile's `web:` line
does (bench/serving.py; `--server-args "--workers 2 --threads 4"` adds to it) with
production's settings (`DJANGO_ENV=production`, `DEBUG=0`, `CONN_MAX_AGE=60`, Redis as the
cache: REDIS_URL, by default redis://127.0.0.1:6379/12, whose database it also caches in),
every request carrying `X-Forwarded-Proto: https` as the TLS proxy sets it. Closed loop,
no think time: `--clients` clients, each on one connection (opened again when the server
closes it: gunicorn's sync workers close after every response) and in one role:

- half are agency systems, on tokens (scope kpi:read) of every active agency in turn: half
  of their requests a values page of 100 of a random offence KPI (`values`), half that KPI's
  summary from January to a random month of this year (`summary`);
- a quarter the project office, logged in, on `/dashboard/?kpi=` a random offence KPI;
- an eighth coordinators, logged in, on the portal's home page (`home`);
- an eighth anonymous readers of `/public/?kpi=` a random offence KPI.

After `--warmup` seconds it counts `--seconds`; then the same clients fetch one static
file for `--static-seconds` (after a second's warm-up). It prints requests per second, the
mix's share of the static file's rate, p50/p95/p99 by kind, and every answer but 200
(counted, a few shown). The clients are asyncio loops over raw sockets in `--processes`
processes, so that the client is not what limits a 2-core machine.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Production's settings, as the server gets them: the bench's own process reads the same
# (its log-ins must be signed with the server's SECRET_KEY).
SERVER_ENV = {
    "DJANGO_ENV": "production",
    "DEBUG": "0",
    "CONN_MAX_AGE": "60",
    "SECRET_KEY": "bench-load-secret-key-not-for-production-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SITE_URL": "https://127.0.0.1",
    "CITIZENS_DATA_KEYS": "YmVuY2gtbG9hZC1jaXRpemVucy1kYXRhLWtleS0zMmI=",
    "CITIZENS_HASH_KEY": "bench-load-citizens-hash-key",
    "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12",
    "LOG_LEVEL": "WARNING",
    # A limit the bench cannot reach: the counter's round trip stays, a 429 does not.
    "API_RATE_PER_TOKEN": "1000000/minute",
    "API_RATE_PER_PERSON": "1000000/minute",
}
SERVER_ENV["REDIS_CACHE_URL"] = os.environ.get("REDIS_CACHE_URL") or SERVER_ENV["REDIS_URL"]
if not os.environ.get("DATABASE_URL"):
    sys.exit("Set DATABASE_URL to a PostgreSQL database holding the demo data (manage.py seed_demo).")
os.environ.update(SERVER_ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "projectoffice.settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from serving import procfile_serving  # noqa: E402

from agencies.models import Agency, AgencyToken, TokenScope  # noqa: E402
from agencies.tokens import agency_token_issue  # noqa: E402
from initiatives.models import Indicator, IndicatorSource  # noqa: E402

TOKEN_NAME = "bench/load.py"  # noqa: S105 - the name of the bench's tokens, not a secret
KINDS = ("values", "summary", "dashboard", "home", "public")


# --- what the clients ask -------------------------------------------------------------


def offence_kpis() -> list[str]:
    """The offence counts: legal statistics' own KPIs (not formulas, not population)."""
    return list(
        Indicator.objects.filter(
            source=IndicatorSource.LEGAL_STATISTICS, numerator__isnull=True, is_active=True, code__startswith="crime."
        )
        .order_by("code")
        .values_list("code", flat=True)
    )


def agency_keys() -> list[str]:
    """A fresh key (kpi:read, a day) for every active agency; the bench's earlier ones go."""
    AgencyToken.objects.filter(name=TOKEN_NAME).delete()
    return [
        agency_token_issue(agency=a, name=TOKEN_NAME, scopes=[TokenScope.KPI_READ], expires_days=1, user=None)[1]
        for a in Agency.objects.filter(is_active=True).order_by("code")
    ]


def session_cookie(username: str) -> str:
    """A logged-in session of `username`, as the log-in page would start it."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def static_path() -> str:
    """A static file as production serves it: its hashed name from the manifest."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True, env=os.environ
        )
    paths = json.loads(manifest.read_text())["paths"]
    css = sorted(name for name in paths if name.endswith(".css") and "/" not in name)
    return f"/{settings.STATIC_URL.strip('/')}/{paths[css[0] if css else next(iter(paths))]}"


def plan(clients: int) -> list[dict[str, Any]]:
    """Each client's role: the kinds it asks for and the headers it sends."""
    kpis = offence_kpis()
    keys = agency_keys()
    office = session_cookie("office")
    coordinators = [session_cookie(name) for name in ("coordinator.astana", "coordinator.almaty")]
    today = timezone.localdate()
    roles: list[dict[str, Any]] = []
    for i in range(clients):
        slot = i % 8
        if slot < 4:
            key = keys[(i // 8 * 4 + slot) % len(keys)]
            roles.append({"role": "agency", "headers": {"Authorization": f"Bearer {key}"}})
        elif slot < 6:
            roles.append({"role": "office", "headers": {"Cookie": office}})
        elif slot == 6:
            cookie = coordinators[(i // 8) % len(coordinators)]
            roles.append({"role": "coordinator", "headers": {"Cookie": cookie}})
        else:
            roles.append({"role": "anonymous", "headers": {}})
    for role in roles:
        role.update(kpis=kpis, year=today.year, last_month=today.month)
    return roles


def next_request(role: dict[str, Any], rng: random.Random) -> tuple[str, str]:
    kpi = rng.choice(role["kpis"])
    if role["role"] == "agency":
        if rng.random() < 0.5:
            return "values", f"/api/v1/values/?kpi={kpi}&page_size=100"
        year, month = role["year"], rng.randint(1, role["last_month"])
        return "summary", f"/api/v1/kpis/{kpi}/summary/?period_from={year}-01&period_to={year}-{month:02d}"
    if role["role"] == "office":
        return "dashboard", f"/dashboard/?kpi={kpi}"
    if role["role"] == "coordinator":
        return "home", "/"
    return "public", f"/public/?kpi={kpi}"


# --- the clients: raw HTTP/1.1 over asyncio, in a few processes --------------------------


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection after it."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        body = b"".join(parts)
    else:
        body = await reader.read()
    return status, body, headers.get("connection", "").lower() == "close"


async def _client(
    port: int, role: dict[str, Any], static: str | None, start: float, stop: float, end: float, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 - a bench's choices
    times: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    shown: list[str] = []
    connects = 0
    reader = writer = None
    extra = "".join(f"{name}: {value}\r\n" for name, value in role["headers"].items())
    while time.time() < end:
        kind, path = ("static", static) if static else next_request(role, rng)
        raw = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
            f"X-Forwarded-For: 10.0.0.{seed % 250}\r\nAccept-Encoding: identity\r\n{extra}\r\n"
        ).encode()
        began = time.time()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                connects += 1
            assert reader is not None
            writer.write(raw)
            status, body, closes = await _answer(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, body, closes = 0, repr(exc).encode(), True
        done = time.time()
        if closes and writer is not None:
            writer.close()
            reader = writer = None
        if start <= began and done <= stop:
            times[kind].append(done - began)
            if status != 200:
                errors[f"{kind} {status}"] += 1
                if len(shown) < 3:
                    shown.append(f"{status} {path}: {body[:200]!r}")
    if writer is not None:
        writer.close()
    return {"times": dict(times), "errors": dict(errors), "shown": shown, "connects": connects}


def _process(args: tuple[int, list[dict[str, Any]], str | None, float, float, float, int]) -> list[dict[str, Any]]:
    port, roles, static, start, stop, end, seed = args

    async def run() -> list[dict[str, Any]]:
        return list(
            await asyncio.gather(
                *(_client(port, role, static, start, stop, end, seed + n) for n, role in enumerate(roles))
            )
        )

    return asyncio.run(run())


def phase(
    pool: Any,
    port: int,
    roles: list[dict[str, Any]],
    static: str | None,
    warmup: float,
    seconds: float,
    processes: int,
    server_pid: int,
) -> dict[str, Any]:
    """Run every client for warm-up plus `seconds`; what finished inside the counted window,
    and the server's CPU seconds over that window (read by a timer at its start and end)."""
    start = time.time() + 0.5 + warmup
    stop = start + seconds
    cpu: list[float] = []

    def read_cpu_at(moments: list[float]) -> None:
        for moment in moments:
            time.sleep(max(0.0, moment - time.time()))
            cpu.append(server_cpu(server_pid))

    timer = threading.Thread(target=read_cpu_at, args=([start, stop],), daemon=True)
    timer.start()
    shares = [(port, roles[p::processes], static, start, stop, stop, 1000 * p) for p in range(processes)]
    results = [r for part in pool.map(_process, shares) for r in part]
    times: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    shown: list[str] = []
    for r in results:
        for kind, values in r["times"].items():
            times[kind].extend(values)
        errors.update(r["errors"])
        shown.extend(r["shown"])
    total = sum(len(v) for v in times.values())
    timer.join()
    return {
        "cpu": cpu[1] - cpu[0] if len(cpu) == 2 else 0.0,
        "rate": total / seconds,
        "times": times,
        "errors": errors,
        "shown": shown[:5],
        "connects": sum(r["connects"] for r in results),
    }


def server_cpu(pid: int) -> float:
    """CPU seconds the server has used so far: its master and its workers (Linux's /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if entry.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def quantiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {cuts[49] * 1000:6.0f} ms  p95 {cuts[94] * 1000:6.0f} ms  p99 {cuts[98] * 1000:6.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--static-seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=2, help="client processes (default 2)")
    parser.add_argument("--server-args", default="", help='added to the Procfile\'s, e.g. "--workers 2 --threads 4"')
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    roles = plan(args.clients)
    static = static_path()
    env = {**os.environ}
    load_before = os.getloadavg()
    context = multiprocessing.get_context("fork")
    with procfile_serving(env, args.server_args.split()) as (port, server), context.Pool(args.processes) as pool:
        mixed = phase(pool, port, roles, None, args.warmup, args.seconds, args.processes, server.pid)
        load_during = os.getloadavg()
        files = phase(pool, port, roles, static, 1.0, args.static_seconds, args.processes, server.pid)

    share = mixed["rate"] / files["rate"] if files["rate"] else 0.0
    # The server's CPU per request over the counted window (requests in flight at its edges
    # aside): on a shared machine, what a request costs whatever else runs.
    mixed_ms = mixed["cpu"] * 1000 / max(1, sum(len(v) for v in mixed["times"].values()))
    files_ms = files["cpu"] * 1000 / max(1, sum(len(v) for v in files["times"].values()))
    every = [t for values in mixed["times"].values() for t in values]
    print(
        f"bench/load.py: {args.clients} clients, {args.seconds:.0f} s after {args.warmup:.0f} s warm-up; "
        f"server: Procfile web {args.server_args or '(as is)'}"
    )
    print(
        f"load average before {load_before[0]:.2f}, during the mix {load_during[0]:.2f} (1 min), {os.cpu_count()} cores"
    )
    print(f"mixed:  {mixed['rate']:8.1f} requests/s   {quantiles(every)}   ({mixed['connects']} connections)")
    print(f"static: {files['rate']:8.1f} requests/s   {quantiles(files['times'].get('static', []))}   ({static})")
    print(f"share of the static file's rate: {share * 100:.1f}%")
    print(
        f"server CPU per request: mixed {mixed_ms:.1f} ms, static {files_ms:.2f} ms "
        f"(static/mixed {files_ms / mixed_ms * 100 if mixed_ms else 0:.1f}%)"
    )
    for kind in KINDS:
        values = mixed["times"].get(kind, [])
        print(f"  {kind:9} {len(values) / args.seconds:7.1f}/s   {quantiles(values)}")
    errors = mixed["errors"] + files["errors"]
    print(f"errors: {sum(errors.values())}" + (f"  {dict(errors)}" if errors else ""))
    for line in mixed["shown"] + files["shown"]:
        print(f"  {line}")
    if args.json:
        figures = {
            "clients": args.clients,
            "seconds": args.seconds,
            "server_args": args.server_args,
            "load_before": load_before[0],
            "load_during": load_during[0],
            "mixed_rate": mixed["rate"],
            "static_rate": files["rate"],
            "share": share,
            "cpu_ms_mixed": mixed_ms,
            "cpu_ms_static": files_ms,
            "by_kind": {kind: sorted(mixed["times"].get(kind, [])) for kind in (*KINDS,) if mixed["times"].get(kind)},
            "errors": dict(errors),
        }
        args.json.write_text(json.dumps(figures))
    AgencyToken.objects.filter(name=TOKEN_NAME).update(revoked=True)


if __name__ == "__main__":
    main()
