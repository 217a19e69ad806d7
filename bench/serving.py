"""Gunicorn on a free loopback port, as the HTTP benches serve the project: one worker with
production's settings but for TLS (plain HTTP on the loopback), persistent connections
(`gunicorn_serving`); or the Procfile's `web:` line itself (`procfile_serving`, bench/load.py)."""

import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.ports import free_port  # the benches put the project's root on sys.path first

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def gunicorn_serving() -> Iterator[int]:
    """Start the server, wait until it accepts connections, yield its port, stop it."""
    port = free_port()
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "CONN_MAX_AGE": "60"}
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "gunicorn"), "projectoffice.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(10)


def procfile_web_command(port: int) -> list[str]:
    """The Procfile's `web:` line as a command, bound to 127.0.0.1:`port` instead of
    0.0.0.0:$PORT, and with the virtualenv's gunicorn: the deployment as it stands."""
    line = next(
        text.split(":", 1)[1] for text in (ROOT / "Procfile").read_text().splitlines() if text.startswith("web:")
    )
    words = shlex.split(line)
    if words[0] == "gunicorn":
        words[0] = str(Path(sys.executable).parent / "gunicorn")
    return [f"127.0.0.1:{port}" if w.startswith("0.0.0.0:") else w for w in words]


@contextmanager
def procfile_serving(env: dict[str, str], extra: Sequence[str] = ()) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The server the Procfile's `web:` line starts (plus `extra` arguments, to compare
    another shape), with `env` as its whole environment: yields its port and process once
    it answers, stops it after. Its log goes to var/load-gunicorn.log."""
    port = free_port()
    (ROOT / "var").mkdir(exist_ok=True)
    log = (ROOT / "var" / "load-gunicorn.log").open("wb")
    server = subprocess.Popen(  # noqa: S603
        [*procfile_web_command(port), *extra], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {server.returncode}: see var/load-gunicorn.log")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port, server
    finally:
        server.terminate()
        server.wait(20)
        log.close()
