"""Password spraying: a few guesses at many accounts from one address are stopped too,
not only many guesses at one account."""

import pytest
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
