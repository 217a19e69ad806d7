"""The targets import's problems and the import record's problems, as staff see them in a
real browser, in Kazakh and in English (issue 16)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from initiatives.models import Target
from initiatives.statistics.jobs import import_job_run, import_job_submit

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

BAD_TARGETS = (
    "indicator,region,year,target_value,baseline_value,baseline_year,note\n"
    "crime.registered,710000000,2026,90000,,,\n"
    "no.such,710000000,2026,5,,,\n"
    "crime.theft,999,20x6,12;5,,,\n"
)


@pytest.mark.parametrize(
    ("language", "line_header", "unknown_kpi"),
    [
        ("kk", "Файлдағы жол", "белгісіз көрсеткіш 'no.such'"),
        ("en", "Line in the file", "unknown indicator 'no.such'"),
    ],
)
def test_the_targets_import_lists_each_bad_cell_by_line_and_column_in_the_readers_language(
    browser, live_server, office, tmp_path: Path, language: str, line_header: str, unknown_kpi: str
) -> None:
    context = browser.new_context(
        locale={"kk": "kk-KZ", "en": "en-GB"}[language],
        viewport={"width": 1280, "height": 900},
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, "/admin/login/", "office")
    page.goto("/admin/initiatives/target/import/")
    upload = tmp_path / "targets.csv"
    upload.write_text(BAD_TARGETS, encoding="utf-8")
    page.set_input_files("#id_import_file", str(upload))
    page.select_option("#id_format", label="csv")
    page.locator("input[type=submit]").last.click()

    table = page.locator("#import-problems")
    table.wait_for()
    screenshot_dir = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot_dir / f"admin-target-import-errors-{language}.png"), full_page=True)
    assert line_header in (table.locator("thead").text_content() or "")
    lines = table.locator("tbody tr td:first-child").all_inner_texts()
    assert [text.strip() for text in lines] == ["3", "4"]
    problems = table.locator("tbody tr").nth(0).locator("li").all_inner_texts()
    assert problems == [f"indicator: {unknown_kpi}"]
    assert len(table.locator("tbody tr").nth(1).locator("li").all_inner_texts()) == 3
    assert table.locator("li").first.is_visible()
    assert not Target.objects.exists()
    context.close()


def test_an_import_records_problems_read_in_the_readers_language(browser, live_server, office) -> None:
    batch = import_job_submit(
        upload=SimpleUploadedFile("bad.csv", b"region,period,indicator,value\n710000001,2025-13,crime.theft,-1\n"),
        user=None,
        agency=None,
        dry_run=False,
    )
    import_job_run(batch_id=batch.pk)
    for language, locale, words in (
        ("kk", "kk-KZ", "белгісіз өңір '710000001'"),
        ("en", "en-GB", "unknown region '710000001'"),
    ):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        page = context.new_page()
        log_in(page, "/admin/login/", "office")
        page.goto(f"/admin/initiatives/importbatch/{batch.pk}/change/")
        assert words in page.locator(".import-problems").inner_text()
        shots = Path(__file__).resolve().parents[2] / "var" / "screenshots"
        page.screenshot(path=str(shots / f"admin-import-record-problems-{language}.png"), full_page=True)
        context.close()
