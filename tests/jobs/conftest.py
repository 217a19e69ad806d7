"""Real processes for the background-job tests: a Redis of the test's own on a port of its
own (the machine's shared Redis is never stopped), a Celery worker and a gunicorn web
server, both on the test's PostgreSQL database and that Redis.

The test's rows must be visible to those processes, so these tests use a transactional
database (rows are committed), and PostgreSQL, which other processes can reach.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from django.db import connection

from agencies.models import Agency
from agencies.tokens import agency_token_issue
from regions.models import Region, RegionKind
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_for(what: str, check: Callable[[], object], timeout: float = 60.0, every: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                *(binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=(self.folder / "redis.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(f"redis on port {self.port}", self.ping, timeout=15)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None


class Service:
    """A child process with a log file; stopped, and its log printed on failure, at the end."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.args, self.env, self.log = name, args, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def children(self) -> list[int]:
        assert self.process is not None
        found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False)
        return [int(pid) for pid in found.stdout.split()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Stack:
    """Redis, worker and web server of one test, sharing its database and folders."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.redis = RedisServer(folder)
        self.mail = folder / "mail"
        self.mail.mkdir()
        self.web_port = free_port()
        self.env = {
            **os.environ,
            "DJANGO_ENV": "test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis.url,
            "MEDIA_ROOT": str(folder / "media"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail),
            # A worker that dies whole leaves its task to be given out again after this long.
            "CELERY_VISIBILITY_TIMEOUT": "10",
            "PYTHONUNBUFFERED": "1",
        }
        self.worker = self._worker()
        self.queue_workers: list[Service] = []
        self.beat = Service(
            "beat",
            [
                *(sys.executable, "-m", "celery", "-A", "projectoffice", "beat", "--loglevel", "INFO"),
                *("--schedule", str(folder / "beat-schedule")),
            ],
            self.env,
            folder / "beat.log",
        )
        self.web = Service(
            "web",
            [
                *(sys.executable, "-m", "gunicorn", "projectoffice.wsgi", "--bind", f"127.0.0.1:{self.web_port}"),
                *("--workers", "1", "--threads", "4", "--timeout", "120"),
            ],
            self.env,
            folder / "web.log",
        )

    def _worker(self, queues: str = "") -> Service:
        """A worker of one process; on `queues` (comma-separated), else on all, as `make worker`."""
        name = f"worker-{queues}" if queues else "worker"
        return Service(
            name,
            [
                *(sys.executable, "-m", "celery", "-A", "projectoffice", "worker", "--pool", "prefork"),
                *("--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle"),
                *("--hostname", f"jobs-test-{name}-{self.redis.port}@%h"),
                *(("--queues", queues) if queues else ()),
            ],
            self.env,
            self.folder / f"{name}.log",
        )

    def start_queue_worker(self, queues: str) -> Service:
        """One more worker, on these queues only (docs/background-jobs.md: one worker per queue)."""
        worker = self._worker(queues)
        self.queue_workers.append(worker)
        worker.start()
        wait_for(f"the {queues} worker to be ready", lambda: " ready." in worker.output(), timeout=60)
        return worker

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start_worker(self) -> None:
        before = len(self.worker.output())
        self.worker.start()
        wait_for("the worker to be ready", lambda: " ready." in self.worker.output()[before:], timeout=60)

    def restart_worker(self) -> None:
        self.worker = self._worker()
        self.start_worker()

    def start_web(self) -> None:
        self.web.start()

        def answers() -> bool:
            try:
                return requests.get(f"{self.url}/healthz", timeout=2).status_code in (200, 503)
            except requests.RequestException:
                return False

        wait_for("the web server", answers, timeout=60)

    def call(self, task: str, *args: object) -> None:
        """Queue a task by name, as an operator would from a shell."""
        subprocess.run(
            [sys.executable, "-m", "celery", "-A", "projectoffice", "call", task, "--args", json.dumps(list(args))],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def mails(self) -> list[str]:
        return [p.read_text(errors="replace") for p in sorted(self.mail.iterdir())]

    def start_beat(self) -> None:
        self.beat.start()
        wait_for("beat to start", lambda: "beat: Starting..." in self.beat.output(), timeout=60)

    def stop(self) -> None:
        self.web.stop()
        self.beat.stop()
        self.worker.stop()
        for worker in self.queue_workers:
            worker.stop()
        self.redis.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _no_stray_connections() -> Iterator[None]:
    """The worker and server hold connections to the test database; the test's own is closed
    before the tables are emptied, so nothing waits on a lock at teardown."""
    yield
    connection.close()


@pytest.fixture
def stack(reference_data, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    if connection.vendor != "postgresql":
        pytest.fail("the background-job tests need PostgreSQL (other processes read the test's rows)")
    jobs = Stack(tmp_path)
    jobs.redis.start()
    try:
        yield jobs
    finally:
        jobs.stop()
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            for service in (jobs.worker, *jobs.queue_workers, jobs.web, jobs.beat):
                sys.stderr.write(f"\n--- {service.name} log ---\n{service.output()[-6000:]}\n")


# --- What the tests do to the stack: an agency's token, a file pushed, districts to fill it.


def import_token() -> str:
    _, key = agency_token_issue(
        agency=Agency.objects.get(code="kpssu"),
        name="jobs test",
        scopes=["statistics:import"],
        expires_days=1,
        user=None,
    )
    return key


def push(stack: Stack, token: str, content: bytes, name: str) -> str:
    response = requests.post(
        f"{stack.url}/api/v1/imports/",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": (name, content, "text/csv")},
        timeout=60,
    )
    assert response.status_code == 202, response.text[:500]
    assert response.json()["status"] == "pending"
    return str(response.headers["Location"])


def districts(count: int) -> list[str]:
    """Synthetic districts under the real regions, for a file big enough to take seconds."""
    top = list(Region.objects.filter(level=1).order_by("kato"))
    made = [
        Region(kato=f"{region.kato[:2]}{cd:02d}00000", level=2, parent=region, kind=RegionKind.DISTRICT, name_ru="р")
        for region in top
        for cd in range(11, 99)
    ][:count]
    Region.objects.bulk_create(made)
    return [r.kato for r in made]
