"""A free port on the loopback, for the servers that the job tests and the benches start
(Redis, gunicorn). Neither a test module nor a conftest, so that bench/ can import it too."""

import socket


def free_port() -> int:
    """A port nothing listens on now, as the system hands it out; the caller binds it next."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
