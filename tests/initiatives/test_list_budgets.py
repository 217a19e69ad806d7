"""Query budgets of the lists not pinned beside their features: the releases and their
figures in the API, and the admin's lists of reports, imports, releases, notices and
reporting cycles. Each costs the same queries for few rows and for many, and the count
is pinned (CONTRIBUTING, "Tests")."""

import datetime
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client

from agencies.models import RegionalBranch
from initiatives.models import ImportBatch, OutboxMessage, ReportingCycle
from initiatives.periods import Period
from initiatives.services.reports import report_create
from tests.factories import T0, AgencyFactory, RegionalBranchFactory, RegionFactory, published

pytestmark = pytest.mark.django_db

MONTHS = [f"2026-{m:02d}" for m in range(1, 7)]  # over at T0


def test_the_list_of_releases_costs_the_same_queries_whatever_its_length(
    caller, office, second_office, assert_queries_do_not_grow
) -> None:
    client = caller("office")
    published(MONTHS[0], office, second_office)
    more = iter(MONTHS[1:])

    def add_rows() -> None:
        for _ in range(3):
            published(next(more), office, second_office)

    assert_queries_do_not_grow(
        lambda: client.get("/api/v1/releases/").status_code == 200 or pytest.fail("releases"), add_rows, budget=5
    )


def test_a_releases_figures_cost_the_same_queries_whatever_their_number(
    caller, office, second_office, assert_queries_do_not_grow
) -> None:
    client = caller("office")
    shown = [published(MONTHS[0], office, second_office)]
    sizes: list[int] = []

    def figures() -> None:
        response = client.get(f"/api/v1/releases/{shown[-1].pk}/figures/")
        assert response.status_code == 200
        sizes.append(len(response.json()["figures"]))

    def add_rows() -> None:  # a release with more figures: a region more in each KPI's rows
        RegionFactory(kato="990000000", parent=None, kind="region", level=1)
        shown.append(published(MONTHS[1], office, second_office))

    assert_queries_do_not_grow(figures, add_rows, budget=5)
    assert sizes[-1] > sizes[0]


def _reports(office, count: int, start: int = 0) -> None:
    branch = RegionalBranch.objects.first() or RegionalBranchFactory()
    for n in range(start, start + count):
        report_create(
            branch=branch, kind="monthly", period=Period.parse(f"{2020 + n // 12}-{n % 12 + 1:02d}"), user=office
        )


def _imports(office, count: int) -> None:
    for n in range(count):
        ImportBatch.objects.create(file_name=f"file-{n}.csv", uploaded_by=office)


def _notices(count: int) -> None:
    for _ in range(count):
        n = OutboxMessage.objects.count()
        OutboxMessage.objects.create(key=f"test-{n}", recipient=f"person{n}@example.kz", subject="s", body="b")


def _cycle_agencies(count: int) -> None:
    for cycle in ReportingCycle.objects.all():
        for _ in range(count):
            agency = AgencyFactory()
            RegionalBranchFactory(agency=agency)
            cycle.agencies.add(agency)


# The queries of each admin list, whatever its length; a change that moves one is reviewed.
@pytest.mark.parametrize(
    ("url", "first", "more", "budget"),
    [
        ("/admin/initiatives/report/", lambda o: _reports(o, 1), lambda o: _reports(o, 20, start=1), 9),
        # 10: whether the reader is of the project office, who alone sees the upload button.
        ("/admin/initiatives/importbatch/", lambda o: _imports(o, 1), lambda o: _imports(o, 20), 10),
        ("/admin/initiatives/outboxmessage/", lambda o: _notices(1), lambda o: _notices(20), 6),
        ("/admin/initiatives/reportingcycle/", lambda o: _cycle_agencies(1), lambda o: _cycle_agencies(10), 8),
    ],
)
def test_admin_lists_cost_the_same_queries_whatever_their_length(
    client: Client,
    office,
    assert_queries_do_not_grow,
    url: str,
    first: Callable[[object], None],
    more: Callable[[object], None],
    budget: int,
) -> None:
    client.force_login(office)
    first(office)
    assert_queries_do_not_grow(
        lambda: client.get(url).status_code == 200 or pytest.fail(url), lambda: more(office), budget=budget
    )


def test_the_admin_list_of_releases_costs_the_same_queries_whatever_its_length(
    client: Client, office, second_office, assert_queries_do_not_grow
) -> None:
    client.force_login(office)
    published(MONTHS[0], office, second_office)
    more = iter(MONTHS[1:])

    def add_rows() -> None:
        for _ in range(3):
            published(next(more), office, second_office)

    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=True):
        assert_queries_do_not_grow(
            lambda: client.get("/admin/initiatives/release/").status_code == 200 or pytest.fail("releases"),
            add_rows,
            budget=8,
        )
