"""The admin's upload page in a real browser: the project office sends a file, reads its
check (the counts, or each bad row with its line), confirms a good one and sees it
imported; on a laptop and on a 390 px phone, with nothing refused by the CSP."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from initiatives.models import ImportBatch, Indicator, Value
from regions.models import Region

from .conftest import SCREENSHOTS as SHOTS
from .conftest import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("in_process_tasks")]

HEADER = "region,period,indicator,value\n"
GOOD = HEADER + "710000000,2025-09,crime.registered,1300\n710000000,2025-09,crime.theft,210\n"
BAD = HEADER + "710000000,2025-09,crime.registered,1300\n710000001,2025-09,crime.theft,210\n"


def counts(page) -> dict[str, str]:
    table = page.locator("#import-counts")
    return {
        row.get_attribute("data-count") or "": row.locator("td").inner_text().strip()
        for row in table.locator("tr").all()
    }


def send(page, tmp_path: Path, name: str, content: str, *, shot: str = "") -> None:
    page.goto("/admin/initiatives/importbatch/")
    page.get_by_role("link", name="Upload a statistics file").click()
    if shot:
        page.screenshot(path=str(SHOTS / f"upload-form-{shot}.png"), full_page=True)
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="Check the file").click()
    page.locator("#import-page").wait_for()


def test_the_office_checks_a_file_then_confirms_it_and_sees_it_imported(
    browser, live_server, office, page, violations, screenshot, tmp_path: Path
) -> None:
    theft = Value(
        indicator=Indicator.objects.get(code="crime.theft"),
        region=Region.objects.get(kato="710000000"),
        value=Decimal(200),
        source="import",
    )
    theft.period_start = theft.period_end = datetime.date(2025, 9, 1)
    theft.approval_state, theft.approved_at = "approved", timezone.now()
    theft.save()
    log_in(page, "/admin/login/", "office")

    send(page, tmp_path, "bad.csv", BAD, shot="desktop")
    assert page.locator("#import-status").inner_text() == "refused"
    first = page.locator("#import-errors tbody tr").first
    assert [cell.strip() for cell in first.locator("td").all_inner_texts()][:2] == ["3", "region"]
    assert "unknown region '710000001'" in first.inner_text()
    assert page.locator("#confirm-form").count() == 0
    page.screenshot(path=str(SHOTS / "upload-refused-desktop.png"), full_page=True)

    refused_url = page.url

    send(page, tmp_path, "good.csv", GOOD)
    assert page.locator("h1").inner_text() == "Check of good.csv"
    assert page.locator("#import-status").inner_text() == "checked, nothing written"
    assert counts(page) == {"rows": "2", "created": "1", "updated": "1", "unchanged": "0", "skipped": "0"}
    assert not Value.objects.filter(indicator__code="crime.registered").exists()
    page.screenshot(path=str(SHOTS / "upload-check-desktop.png"), full_page=True)
    check_url = page.url

    phone = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844}, base_url=live_server.url)
    small = phone.new_page()
    log_in(small, "/admin/login/", "office")
    small.goto(refused_url)
    assert small.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    small.screenshot(path=str(SHOTS / "upload-refused-phone.png"), full_page=True)
    small.goto(check_url)
    button = small.get_by_role("button", name="Confirm and import")
    assert button.is_visible()
    assert small.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # nothing pushes the page sideways
    small.screenshot(path=str(SHOTS / "upload-check-phone.png"), full_page=True)

    page.get_by_role("button", name="Confirm and import").click()
    page.locator("#changed-since-check").wait_for()
    assert page.locator("h1").inner_text() == "Import of good.csv"
    assert page.locator("#import-status").inner_text() == "imported"
    assert counts(page) == {"rows": "2", "created": "1", "updated": "1", "unchanged": "0", "skipped": "0"}
    page.screenshot(path=str(SHOTS / "upload-imported-desktop.png"), full_page=True)
    assert Value.objects.get(indicator__code="crime.theft").value == 210

    button.click()  # the second tab, still showing the button: lands on the same import
    small.locator("#changed-since-check").wait_for()
    assert small.url == page.url
    small.screenshot(path=str(SHOTS / "upload-imported-phone.png"), full_page=True)
    assert ImportBatch.objects.filter(dry_run=False).count() == 1
    phone.close()
    page.goto("/admin/initiatives/importbatch/")
    assert page.get_by_role("link", name="confirms the check #").count() == 1
    page.screenshot(path=str(SHOTS / "upload-list-desktop.png"), full_page=True)
    assert violations == []
