"""Browser tests: Debian's Chromium driven by Playwright against a live test server.

Marked `browser`; they skip without Chromium unless REQUIRE_SERVICES=1, where a
missing browser fails them. Screenshots go to var/screenshots/ for a person to look at.
"""

import datetime
import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from initiatives.models import Indicator, Value
from initiatives.periods import Month
from regions.models import Region
from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium per test module; the event loop Playwright runs stops with it."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django refuses
    # database access from such a thread unless told it is deliberate, as it is here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def violations(page) -> list[str]:
    """What Chromium reports refused by the Content-Security-Policy, in the console: a test
    asks for it before it opens pages, and asserts it empty at the end."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: found.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return found


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(autouse=True)
def _reference_data(reference_data: None) -> None:
    """Every browser test needs the live server, so a transactional database."""


def log_in(page, path: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the form at `path` (the portal's `/login/` or `/admin/login/`) as a
    user of the cast, whose password is the factories' own."""
    page.context.clear_cookies()
    page.goto(path)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def monthly_figures() -> None:
    """Every region's offences by month, January 2025 to October 2026 (November is not in
    on 2 December), for the chosen KPI and two of the offence group."""
    regions = list(Region.objects.top_level().order_by("kato"))
    codes = {"crime.registered": 400, "crime.theft": 90, "crime.fraud": 40}
    kpis = {k.code: k for k in Indicator.objects.filter(code__in=codes)}
    rows = []
    for n, region in enumerate(regions):
        for index in range(Month(2025, 1).index, Month(2026, 10).index + 1):
            month = Month.from_index(index)
            for code, base in codes.items():
                trend = 1 - 0.06 * (month.year - 2025) + 0.02 * (month.month % 6)
                number = round(
                    base * (1 + n / 10) * trend * (1.1 if code == "crime.fraud" and month.year == 2026 else 1)
                )
                value = Value(indicator=kpis[code], region=region, value=Decimal(number), source="import")
                value.period_start = value.period_end = month.first_day
                value.approval_state = "approved"
                value.approved_at = datetime.datetime(2026, 11, 10, tzinfo=datetime.UTC)
                rows.append(value)
    Value.objects.bulk_create(rows)
