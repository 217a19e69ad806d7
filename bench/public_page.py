"""Benchmark: requests per second of the public page on one gunicorn worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_publish_bench \
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/public_page.py [--seconds 10]

Publishes and confirms a release of 2026-01/2026-09 in that (disposable) database if none
is published (run bench/summary.py --districts 1500 first for its data), starts gunicorn
with one worker as production runs it (persistent connections, Redis as the cache), and
drives /public/ (HTML, and ?format=csv) with wrk when it is installed, else with a
threaded Python client, next to the goal of 200 requests per second.
"""

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectoffice.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from serving import gunicorn_serving  # noqa: E402

from agencies.roles import PROJECT_OFFICE_GROUP, sync_role_groups  # noqa: E402
from initiatives.models import Release  # noqa: E402
from initiatives.periods import Period  # noqa: E402
from initiatives.services.releases import release_confirm, release_publish  # noqa: E402

GOAL = 200
PATHS = ["/public/?kpi=crime.registered", "/public/?kpi=crime.theft&format=csv"]


def ensure_release() -> Release:
    found = Release.objects.published().first()
    if found is not None:
        return found
    sync_role_groups()
    office = Group.objects.get(name=PROJECT_OFFICE_GROUP)
    users = []
    for name in ("bench.publisher", "bench.confirmer"):
        user, _ = get_user_model().objects.get_or_create(username=name, defaults={"is_staff": True})
        user.groups.add(office)
        users.append(user)
    started = time.monotonic()
    release = release_publish(period=Period.parse("2026-01/2026-09"), title="Bench", user=users[0])
    published = time.monotonic() - started
    release = release_confirm(release=release, user=users[1])
    print(
        f"release published in {published:.1f} s, confirmed (public figures derived) in "
        f"{time.monotonic() - started - published:.1f} s"
    )
    return release


def python_load(port: int, path: str, seconds: float, connections: int = 4) -> float:
    done = [0] * connections
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / seconds


def wrk_load(port: int, path: str, seconds: float) -> float:
    out = subprocess.run(  # noqa: S603
        ["wrk", "-t1", "-c4", f"-d{int(seconds)}s", f"http://127.0.0.1:{port}{path}"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"errors under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    release = ensure_release()
    print(f"release {release.pk} ({release.period}); load: {os.getloadavg()[0]:.1f}")
    with gunicorn_serving() as port:
        tool = "wrk" if shutil.which("wrk") else "python"
        for path in PATHS:
            python_load(port, path, 1)  # warm: the first request fills the cache
            rate = wrk_load(port, path, args.seconds) if tool == "wrk" else python_load(port, path, args.seconds)
            verdict = "met" if rate >= GOAL else "MISSED"
            print(f"{path:<44} {rate:8.0f} requests/s ({tool}, 4 connections)  goal >= {GOAL}  {verdict}")


if __name__ == "__main__":
    main()
