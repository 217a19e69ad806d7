"""Password spraying: a few guesses at many accounts from one address are stopped too,
not only many guesses at one account."""

import datetime

import pytest
import time_machine
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SPRAYER = "203.0.113.7"
NEIGHBOUR = "198.51.100.9"


def log_in(username: str, password: str, address: str) -> int:
    client = Client(REMOTE_ADDR=address)
    return int(client.post("/login/", {"username": username, "password": password}).status_code)


def test_wrong_passwords_at_many_accounts_from_one_address_pause_that_address(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_IP_FAILURE_LIMIT = 4
    person = UserFactory(username="someone.real")
    for n in range(3):  # one guess each at many accounts: below every account's own limit
        assert log_in(f"guess{n}", "Spring2026!", SPRAYER) == 200
    assert log_in("guess3", "Spring2026!", SPRAYER) == 429  # the address's fourth wrong password
    # The address now waits, even with the right password of a real account ...
    assert log_in(person.username, PASSWORD, SPRAYER) == 429
    # ... and on the admin's log-in page too; another address is not affected.
    admin = Client(REMOTE_ADDR=SPRAYER).post("/admin/login/", {"username": person.username, "password": PASSWORD})
    assert admin.status_code == 429
    assert log_in(person.username, PASSWORD, NEIGHBOUR) == 302


def test_fewer_wrong_passwords_than_the_address_limit_do_not_pause_it(settings) -> None:
    settings.AXES_IP_FAILURE_LIMIT = 4
    person = UserFactory(username="someone.real")
    for n in range(3):
        log_in(f"guess{n}", "wrong", SPRAYER)
    assert log_in(person.username, PASSWORD, SPRAYER) == 302


def test_logging_into_an_own_account_between_guesses_does_not_clear_the_address(settings) -> None:
    settings.AXES_IP_FAILURE_LIMIT = 4
    own = UserFactory(username="sprayer.own")
    for n in range(4):
        log_in(f"guess{n}", "wrong", SPRAYER)
        if n < 3:
            assert log_in(own.username, PASSWORD, SPRAYER) == 302
    assert log_in(own.username, PASSWORD, SPRAYER) == 429


PROXY = "10.0.0.2"  # the TLS proxy in front (README, "Deploying"): every request comes from it


def through_proxy(username: str, password: str, forwarded_for: str) -> int:
    """A log-in through the proxy, which appends the address it saw to X-Forwarded-For."""
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)
    return int(client.post("/login/", {"username": username, "password": password}).status_code)


def test_behind_the_proxy_spraying_locks_the_sprayers_address_and_nobody_elses(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_IP_FAILURE_LIMIT = 4
    person = UserFactory(username="someone.real")
    for n in range(4):
        through_proxy(f"made.up{n}", "Spring2026!", SPRAYER)
    assert through_proxy(person.username, PASSWORD, SPRAYER) == 429
    # The same proxy, another person's address: not locked out.
    assert through_proxy(person.username, PASSWORD, NEIGHBOUR) == 302


def test_behind_the_proxy_what_the_client_wrote_into_the_header_itself_is_not_believed(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_IP_FAILURE_LIMIT = 4
    person = UserFactory(username="someone.real")
    # The sprayer sends a new made-up address each time; the proxy appends the real one.
    for n in range(4):
        through_proxy(f"made.up{n}", "Spring2026!", f"192.0.2.{n + 1}, {SPRAYER}")
    assert through_proxy(person.username, PASSWORD, SPRAYER) == 429


def test_by_default_a_forged_forwarded_header_is_ignored(settings) -> None:
    assert settings.TRUSTED_PROXY_COUNT == 0
    settings.AXES_IP_FAILURE_LIMIT = 4
    person = UserFactory(username="someone.real")
    for n in range(4):
        client = Client(REMOTE_ADDR=SPRAYER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
        client.post("/login/", {"username": f"made.up{n}", "password": "wrong"})
    # Locked by the address it came from, whatever it claimed ...
    assert log_in(person.username, PASSWORD, SPRAYER) == 429
    # ... and claiming to be someone else's address does not lock that one out.
    assert log_in(person.username, PASSWORD, "192.0.2.1") == 302


def test_attempts_during_a_lock_out_do_not_extend_it(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.5  # hours
    person = UserFactory(username="someone.real")
    start = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            log_in(person.username, "wrong", SPRAYER)
        assert log_in(person.username, PASSWORD, SPRAYER) == 429
    with time_machine.travel(start + datetime.timedelta(minutes=25), tick=False):
        assert log_in(person.username, "wrong", SPRAYER) == 429
        assert log_in(person.username, "wrong again", SPRAYER) == 429
    # Half an hour after the lock-out began, not after the last attempt during it.
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        assert log_in(person.username, PASSWORD, SPRAYER) == 302
