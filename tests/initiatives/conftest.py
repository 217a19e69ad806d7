"""What the tests of initiatives share beyond the builders of tests/factories.py."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client

from agencies.roles import PROJECT_OFFICE_GROUP
from initiatives.models import Release
from initiatives.periods import Period
from initiatives.services.releases import release_confirm, release_publish
from tests.factories import T0, UserFactory, offence_months, year_months


def flat(summary: Any) -> str:
    """Everything a summary says, as text: two summaries are the same figures iff equal."""
    rows = [
        (b.kato, b.value, b.previous, b.change_percent, b.rate_per_10k, b.population, b.target, b.status)
        for b in summary.breakdown
    ]
    return repr((summary.own, summary.estimate, summary.status, rows))


@pytest.fixture
def second_office(db: None):  # type: ignore[no-untyped-def]
    user = UserFactory(username="office.second", is_staff=True)
    user.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    return user


@pytest.fixture
def release(office, second_office) -> Release:  # type: ignore[no-untyped-def]
    """The first quarter of 2026 released: form 1-M by region and month (many small counts),
    published by the office and confirmed by a second member of it."""
    offence_months(5, [*year_months(2025, 3), *year_months(2026, 3)], small=0.5)
    with time_machine.travel(T0, tick=True):
        made = release_publish(period=Period.parse("2026-Q1"), title="Q1", user=office)
        return release_confirm(release=made, user=second_office)


@pytest.fixture
def staff(client: Client, office) -> Client:  # type: ignore[no-untyped-def]
    """The test client logged in as the project office."""
    client.force_login(office)
    return client


@pytest.fixture
def early_october() -> Iterator[time_machine.Traveller]:
    """5 October 2025, 10:00 UTC, the clock running: before September's report is due (the
    15th). A test that moves the clock on asks for it by name (`early_october.shift(...)`)."""
    with time_machine.travel(datetime.datetime(2025, 10, 5, 10, 0, tzinfo=datetime.UTC), tick=True) as traveller:
        yield traveller


@pytest.fixture
def seventh_of_december() -> Iterator[time_machine.Traveller]:
    """7 December 2026, 04:00 UTC (09:00 in Astana), the clock running: November is over,
    December is not."""
    with time_machine.travel(datetime.datetime(2026, 12, 7, 4, 0, tzinfo=datetime.UTC), tick=True) as traveller:
        yield traveller
