"""One gunicorn worker on a free loopback port, as the HTTP benches serve the project:
production's settings but for TLS (plain HTTP on the loopback), persistent connections."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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
