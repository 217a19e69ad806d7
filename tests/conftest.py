"""The fixed cast of every test, and the rules for tests that need real services.

Cast: `office` (project-office staff), `coordinator_astana` and `coordinator_almaty`
(coordinators of those cities), `branch_astana` and its `head_astana`, and anonymous
`client`. The 20 first-level regions, the
agencies and the reporting cycles come from the data migrations, so they are in every
test database; the cycles are owed by the branches of gpo, as in the demo.
"""

import datetime
import os
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.models import Agency, Membership, MembershipRole, RegionalBranch
from agencies.roles import COORDINATORS_GROUP, PROJECT_OFFICE_GROUP
from agencies.tokens import agency_token_issue, agency_token_revoke
from initiatives.models import Indicator, Report
from initiatives.periods import Period
from initiatives.services.reports import (
    report_approve,
    report_create,
    report_reopen,
    report_return,
    report_save,
    report_submit,
)
from regions.models import Region

from .factories import UserFactory, at, monthly_submitted

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") not in ("", "0")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `postgres` or `redis` runs only where the service is configured;
    with REQUIRE_SERVICES=1 a missing service is a failure, never a skip."""
    missing = []
    if item.get_closest_marker("postgres") and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        missing.append("PostgreSQL (DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        missing.append("Redis (REDIS_URL)")
    if item.get_closest_marker("browser") and not (shutil.which("chromium") or os.path.exists("/usr/bin/chromium")):
        missing.append("Chromium (apt-get install chromium)")
    if missing:
        message = "needs " + " and ".join(missing)
        if REQUIRE_SERVICES:
            pytest.fail(message + ", and REQUIRE_SERVICES is set", pytrace=False)
        pytest.skip(message)


@pytest.fixture(autouse=True, scope="session")
def _flush_past_the_frozen_releases() -> Iterator[None]:
    """A transactional test ends by emptying every table with TRUNCATE, which PostgreSQL
    refuses on the release figure tables (migration `release_duties_in_the_database`).
    The flush alone runs with triggers off, as a superuser may (`session_replication_role`,
    for the transaction only); nothing else in the tests does."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        original(self, ["SET LOCAL session_replication_role = replica", *sql_list] if sql_list else sql_list)

    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture
def astana(db: None) -> Region:
    return Region.objects.get(kato="710000000")


@pytest.fixture
def almaty(db: None) -> Region:
    return Region.objects.get(kato="750000000")


def _coordinator(username: str, region: Region):
    from agencies.models import Agency

    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    branch, _ = RegionalBranch.objects.get_or_create(agency=Agency.objects.get(code="gpo"), region=region)
    Membership.objects.create(user=user, branch=branch, role=MembershipRole.COORDINATOR)
    return user


@pytest.fixture
def office(db: None):
    user = UserFactory(username="office", is_staff=True)
    user.groups.add(Group.objects.get(name=PROJECT_OFFICE_GROUP))
    return user


@pytest.fixture
def coordinator_astana(astana: Region):
    return _coordinator("coordinator.astana", astana)


@pytest.fixture
def coordinator_almaty(almaty: Region):
    return _coordinator("coordinator.almaty", almaty)


@pytest.fixture
def branch_astana(coordinator_astana) -> RegionalBranch:  # type: ignore[no-untyped-def]
    """The Astana branch of gpo, which `coordinator_astana` coordinates."""
    return RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")


@pytest.fixture
def head_astana(branch_astana: RegionalBranch):  # type: ignore[no-untyped-def]
    """The regional head of that branch."""
    user = UserFactory(username="head.astana")
    Membership.objects.create(user=user, branch=branch_astana, role=MembershipRole.REGIONAL_HEAD)
    return user


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def count_queries(action: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


@pytest.fixture
def assert_queries_do_not_grow(django_assert_num_queries) -> Callable[..., int]:
    """Run `action` once with the rows at hand and once after `add_rows`: the number of
    queries must be the same. Start with at least one row, or an empty page skips the
    queries that fetch rows. `budget`: the number pinned too (django_assert_num_queries),
    so a change that moves it is seen and reviewed. Returns the count."""

    def check(action: Callable[[], object], add_rows: Callable[[], object], *, budget: int | None = None) -> int:
        action()  # warm per-process caches: content types, permissions, sessions
        before = count_queries(action)
        add_rows()
        after = count_queries(action)
        assert after == before, f"{before} queries with few rows, {after} with more"
        if os.environ.get("PRINT_QUERY_BUDGETS"):
            print(f"BUDGET {os.environ.get('PYTEST_CURRENT_TEST')} = {after}")
        if budget is not None:
            with django_assert_num_queries(budget):
                action()
        return before

    return check


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """For tests on a transactional database (live server, threads): each such test ends
    by emptying every table, so the reference data of the data migrations is loaded again
    first. (Serialized rollback would do this, but loses its snapshot once an event loop
    runs in the test thread, as Playwright's does.)"""
    from agencies.models import Agency
    from agencies.reference_data import load_agencies
    from agencies.roles import sync_role_groups
    from initiatives.models import Indicator, ReportingCycle
    from initiatives.reference_data import load_indicators, load_reporting_cycles
    from regions.reference_data import load_first_level_regions

    load_first_level_regions(Region)
    load_agencies(Agency)
    load_indicators(Indicator, Agency)
    load_reporting_cycles(ReportingCycle, Agency)
    sync_role_groups()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (summaries, throttle counts, import progress)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploaded files (evidence, statistics) land in the test's own folder; a test that
    looks in it asks for it by this name."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read messages in English; the site's default (Russian) and the other
    languages are tested where they matter, by asking for them."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# --- Moments the tests travel to; a module that lives there says so with
# `pytestmark = pytest.mark.usefixtures("second_of_december")`. --------------------------


@pytest.fixture
def second_of_december() -> Iterator[time_machine.Traveller]:
    """2 December 2026, 09:00 UTC, the clock running: November is over, but its statistics
    are not in yet."""
    with time_machine.travel(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=True) as traveller:
        yield traveller


@pytest.fixture
def early_november() -> Iterator[time_machine.Traveller]:
    """5 November 2026, 09:00 UTC, the clock running: October's report is due on 15
    November; the first half-year's closed on 15 July."""
    with time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC), tick=True) as traveller:
        yield traveller


@pytest.fixture
def report(coordinator_astana) -> Report:  # type: ignore[no-untyped-def]
    """Astana's October 2026 draft, started by its coordinator at the test's moment: a module
    that asks for it also asks for a moment when October's report may be started
    (`early_november`)."""
    branch = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    return report_create(branch=branch, kind="monthly", period=Period.parse("2026-10"), user=coordinator_astana)


@pytest.fixture
def submitted(coordinator_astana, astana):  # type: ignore[no-untyped-def]
    """Astana's October report with one legal-literacy figure, submitted on 5 November."""
    with time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC), tick=True):
        branch = RegionalBranch.objects.get(region=astana)
        report = report_create(branch=branch, kind="monthly", period=Period.parse("2026-10"), user=coordinator_astana)
        kpi = Indicator.objects.get(code="events.legal_literacy")
        report = report_save(
            report=report, version=report.version, values={kpi: (Decimal(5), "")}, narrative="", user=coordinator_astana
        )
        return report_submit(report=report, version=report.version, user=coordinator_astana)


@pytest.fixture
def reports(coordinator_astana, coordinator_almaty, office) -> dict[str, Report]:  # type: ignore[no-untyped-def]
    """Three monthly reports of the reporting grid, by branch and month: Astana's September
    on time and approved; Astana's October late (reopened by the office first); Almaty's
    October on time, returned, and handed in again after its due date."""
    astana = RegionalBranch.objects.get(agency__code="gpo", region__kato="710000000")
    almaty = RegionalBranch.objects.get(agency__code="gpo", region__kato="750000000")
    made = {
        "astana-09": monthly_submitted(astana, "2026-09", "2026-10-10", coordinator_astana),  # due 15 October
        "astana-10": monthly_submitted(astana, "2026-10", "2026-11-20", coordinator_astana, office),  # due 15 November
        "almaty-10": monthly_submitted(almaty, "2026-10", "2026-11-14", coordinator_almaty),
    }
    with at("2026-10-20"):
        made["astana-09"] = report_approve(report=made["astana-09"], user=office)
    with at("2026-11-16"):
        report_return(report=made["almaty-10"], reason="fix the numbers", user=office)
    with at("2026-11-25"):
        report = report_reopen(report=Report.objects.get(pk=made["almaty-10"].pk), user=office)
        made["almaty-10"] = report_submit(report=report, version=report.version, user=coordinator_almaty)
    return made


# --- The API's cast: people log in, agency systems present tokens. ---------------------


def token_for(scopes: list[str], agency: str = "mvd", **changes: object) -> str:
    token, key = agency_token_issue(
        agency=Agency.objects.get(code=agency),
        name=f"test {' '.join(scopes)}",
        scopes=scopes,
        expires_days=30,
        user=None,
    )
    for field, value in changes.items():
        setattr(token, field, value)
    if changes:
        token.save()
    return key


@pytest.fixture
def in_process_tasks():
    """Celery tasks run in the test's own process, whether or not REDIS_URL names a broker
    (in CI it does, and nothing would consume what a test queues)."""
    from projectoffice.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def caller(db: None, office, coordinator_astana, coordinator_almaty) -> Callable[[str], APIClient]:
    """An API client acting as one of the cast, by name."""

    def make(who: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        people = {"office": office, "coordinator_astana": coordinator_astana, "coordinator_almaty": coordinator_almaty}
        if who in people:
            client.force_login(people[who])
        elif who == "token_kpi":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(['kpi:read'])}")
        elif who == "token_reports":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(['reports:read'])}")
        elif who == "token_import":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(['statistics:import'], agency='kpssu')}")
        elif who == "token_expired":
            key = token_for(["kpi:read", "statistics:import"], expiry_date=timezone.now() - datetime.timedelta(days=1))
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        elif who == "token_revoked":
            from agencies.models import AgencyToken

            key = token_for(["kpi:read", "statistics:import"])
            agency_token_revoke(token=AgencyToken.objects.get(prefix=key.split(".")[0]), user=None)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        elif who == "token_garbage":
            client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
        else:
            assert who == "anonymous", who
        return client

    return make
